#!/usr/bin/env bash
# Plans one synthesized stack for review: the saved plan, its JSON, and the summary a pull request
# shows. Run from the app's root after `npx cdktf synth`:
#
#   ci/plan.sh cdktf.out/stacks/<stack>
#
# Leaves plan.tfplan (what ci/apply.sh applies, exactly), plan.json and summary.md there.
set -euo pipefail
cd "$1"
# Another run may hold the state's lock (an apply of this stack elsewhere, or for a moment any
# other stack in the same database): wait for it instead of failing.
lock=(-lock-timeout="${LOCK_TIMEOUT:-10m}")
# On a fresh database, the pg backend's first init creates a sequence every stack shares, and the
# first inits of stacks planned side by side can collide on it ("duplicate key value violates
# unique constraint pg_class_relname_nsp_index"); a second init finds it made.
terraform init -input=false "${lock[@]}" || terraform init -input=false "${lock[@]}"
# Creates the stack's state when it has none yet (changes nothing otherwise). A new state's first
# apply would hold the pg backend's database-wide creation lock for its whole run, holding up
# every other stack; created here, it is held for a moment.
terraform apply -refresh-only -auto-approve -input=false "${lock[@]}"
terraform plan -input=false "${lock[@]}" -out=plan.tfplan
terraform show -json plan.tfplan > plan.json
npx dimensions plan-summary plan.json --markdown > summary.md
