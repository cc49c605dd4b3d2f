#!/usr/bin/env bash
# What the live tenants of one stack hold that the code does not say, and the reverse. Run from
# the app's root after `npx cdktf synth`:
#
#   ci/drift.sh <stack>
#
# Exit 0: no drift; 2: drift (it prints the terraform command that converges); 1: an error.
set -euo pipefail
npx dimensions drift --stack "$1"
