#!/usr/bin/env bash
# Records the full run of the main job (example 06, ~14 minutes on 2 cores) into
# examples/06_r1_zero/full_run_output.txt, the file its chapter may quote beside the --quick
# output that ctest diffs. Standard output only: it holds what a seeded run reproduces; times
# and the progress line (standard error) go to r1_zero_out/run.log.
# Usage: bash scripts/record_full_run.sh    (after a change to the example you meant)
set -euo pipefail
cd "$(dirname "$0")/.."
make run-build >&2
mkdir -p r1_zero_out
build-native/examples/06_r1_zero > examples/06_r1_zero/full_run_output.txt 2> >(tee r1_zero_out/run.log >&2)
echo "recorded examples/06_r1_zero/full_run_output.txt (times in r1_zero_out/run.log)"
