# One tenant create, through this terraform run's warm handler (./worker.ts) when it can,
# otherwise by the handler itself. Run as `exec sh forward.sh <handler bundle>` by the create's
# command, so that $PPID is the terraform process: one warm handler per run, never shared with
# another run (whose environment may differ). Needs DIMENSIONS_MANIFEST, DIMENSIONS_MANIFEST_DIGEST
# and DIMENSIONS_OBJECT_KEY, as the create's environment gives them. DIMENSIONS_WORKER=0: no
# warm handler, every create runs its own.
bundle=$1
direct() { exec node "$bundle" apply; }
[ "${DIMENSIONS_WORKER:-1}" = 0 ] && direct
[ -n "$DIMENSIONS_MANIFEST" ] && [ -n "$DIMENSIONS_OBJECT_KEY" ] && [ -n "$DIMENSIONS_MANIFEST_DIGEST" ] || direct
workers="$(dirname "$DIMENSIONS_MANIFEST")/.dimensions-markers/workers"
w="$workers/$PPID"
mkdir -p "$workers" 2>/dev/null || direct
if mkdir "$w" 2>/dev/null; then
  mkdir "$w/jobs" || direct
  # Started from a subshell that exits at once, so the worker is not this shell's child: its end
  # is reaped by init and seen by `kill -0`, never left a zombie while this shell waits.
  (
    node "$bundle" worker "$w" "$PPID" </dev/null >"$w/log" 2>&1 &
    echo "$!" >"$w/launched"
  )
fi
# The worker writes its pid once it serves; one that died starting, or a start slower than
# about 10 s, means running the handler here.
i=0
while [ ! -s "$w/pid" ]; do
  i=$((i + 1))
  [ "$i" -gt 200 ] && direct
  if [ -s "$w/launched" ] && ! kill -0 "$(cat "$w/launched")" 2>/dev/null && [ ! -s "$w/pid" ]; then direct; fi
  sleep 0.05
done
pid=$(cat "$w/pid")
kill -0 "$pid" 2>/dev/null || direct
job="$w/jobs/$$"
# The answer wakes this shell through a FIFO (no polling: ten waiting creates polling every few
# milliseconds cost more CPU than the work). A watchdog wakes it instead if the worker goes away.
mkfifo "$job.fifo" 2>/dev/null || direct
# Held open (read-write) before the job exists, so an answer written at once is never lost.
exec 3<>"$job.fifo" || direct
(
  while kill -0 "$pid" 2>/dev/null; do sleep 1; done
  echo gone >"$job.fifo"
) </dev/null >/dev/null 2>&1 &
watchdog=$!
printf '%s\n%s\n%s\n' "$DIMENSIONS_OBJECT_KEY" "$DIMENSIONS_MANIFEST" "$DIMENSIONS_MANIFEST_DIGEST" >"$job.part" && mv "$job.part" "$job.job" || { kill "$watchdog" 2>/dev/null; exec 3<&-; rm -f "$job.fifo" "$job.part"; direct; }
read -r answer <&3
kill "$watchdog" 2>/dev/null
exec 3<&-
rm -f "$job.fifo"
if [ ! -f "$job.rc" ]; then
  # Gone before answering: whatever it did stays done, and the handler converges the rest.
  rm -f "$job.job" "$job.taken" "$job.out" "$job.err"
  direct
fi
cat "$job.out"
cat "$job.err" >&2
rc=$(cat "$job.rc")
rm -f "$job.out" "$job.err" "$job.rc" "$job.taken"
exit "$rc"
