# One tenant create, through this terraform run's warm handler (./worker.ts) when it can,
# otherwise by the handler itself. Sourced by the create's command (`set -- <handler bundle>;
# . forward.sh`), or run as `sh forward.sh <handler bundle>`; either way $PPID is the terraform
# process: one warm handler per run, never shared with another run (whose environment may differ).
# Needs DIMENSIONS_MANIFEST, DIMENSIONS_MANIFEST_DIGEST and DIMENSIONS_OBJECT_KEY, as the create's
# environment gives them. DIMENSIONS_WORKER=0: no warm handler, every create runs its own.
#
# Every process started here costs about as much CPU as the requests of a small customer (a
# 200-customer rollout spent as much in this script's helpers as in the worker), so the path of
# a served job uses shell builtins except mkfifo and one cat.
bundle=$1
direct() { exec node "$bundle" apply; }
[ "${DIMENSIONS_WORKER:-1}" = 0 ] && direct
[ -n "$DIMENSIONS_MANIFEST" ] && [ -n "$DIMENSIONS_OBJECT_KEY" ] && [ -n "$DIMENSIONS_MANIFEST_DIGEST" ] || direct
case $DIMENSIONS_MANIFEST in */*) stack=${DIMENSIONS_MANIFEST%/*} ;; *) stack=. ;; esac
workers="$stack/.dimensions-markers/workers"
w="$workers/$PPID"
if [ ! -d "$w/jobs" ]; then
  mkdir -p "$workers" 2>/dev/null || direct
  if mkdir "$w" 2>/dev/null; then
    mkdir "$w/jobs" || direct
    # Started from a subshell that exits at once, so neither process is this shell's child: their
    # ends are reaped by init and seen by `kill -0`, never left zombies while this shell waits.
    (
      node "$bundle" worker "$w" "$PPID" </dev/null >"$w/log" 2>&1 &
      launched=$!
      echo "$launched" >"$w/launched"
      # The watchdog of every job of the run: once the worker is gone, it wakes each forwarder
      # still waiting (opened read-write, so a FIFO whose forwarder is gone never blocks it).
      (
        while kill -0 "$launched" 2>/dev/null; do sleep 1; done
        for f in "$w"/jobs/*.fifo; do
          # A redirection of a plain builtin: a FIFO removed meanwhile fails this line only.
          [ -p "$f" ] && echo gone 1<>"$f"
        done
      ) </dev/null >/dev/null 2>&1 &
    )
  fi
fi
# The worker writes its pid once it serves; one that died starting, or a start slower than
# about 10 s, means running the handler here.
i=0
while [ ! -s "$w/pid" ]; do
  i=$((i + 1))
  [ "$i" -gt 200 ] && direct
  if [ -s "$w/launched" ]; then
    read -r launched <"$w/launched"
    kill -0 "$launched" 2>/dev/null || [ -s "$w/pid" ] || direct
  fi
  sleep 0.05
done
pid=
read -r pid <"$w/pid" || [ -n "$pid" ] || direct
kill -0 "$pid" 2>/dev/null || direct
job="$w/jobs/$$"
# The answer wakes this shell through a FIFO (no polling: ten waiting creates polling every few
# milliseconds cost more CPU than the work).
mkfifo "$job.fifo" 2>/dev/null || direct
# Held open (read-write) before the job exists, so an answer written at once is never lost.
exec 3<>"$job.fifo" || direct
withdraw() { exec 3<&-; rm -f "$job.fifo" "$job.job" "$job.taken" "$job.out" "$job.err" "$job.rc"; direct; }
# One write of three lines: the worker takes a job only once its last line is complete.
printf '%s\n%s\n%s\n' "$DIMENSIONS_OBJECT_KEY" "$DIMENSIONS_MANIFEST" "$DIMENSIONS_MANIFEST_DIGEST" >"$job.job" || withdraw
# A worker that died after the check above but before this job existed would wake nobody.
kill -0 "$pid" 2>/dev/null || withdraw
read -r answer <&3
# Gone before answering: whatever it did stays done, and the handler converges the rest.
[ -f "$job.rc" ] || withdraw
exec 3<&-
cat "$job.out"
[ -s "$job.err" ] && cat "$job.err" >&2
rc=
read -r rc <"$job.rc" || [ -n "$rc" ]
# The worker removes this job's files once this process is gone.
exit "${rc:-1}"
