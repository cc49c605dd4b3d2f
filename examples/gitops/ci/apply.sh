#!/usr/bin/env bash
# Applies the plan ci/plan.sh saved for one stack, exactly as it was reviewed. Run from the app's
# root, with the stack's directory as ci/plan.sh left it:
#
#   ci/apply.sh cdktf.out/stacks/<stack>
#
# Terraform refuses a plan whose state changed since ("Saved plan is stale"): plan again.
set -euo pipefail
cd "$1"
lock=(-lock-timeout="${LOCK_TIMEOUT:-10m}")
terraform init -input=false "${lock[@]}"
terraform apply -input=false "${lock[@]}" plan.tfplan
