#!/usr/bin/env bash
# Records the full run of a long example (default 06_r1_zero, ~30 minutes on 2 cores; 07_r1_pipeline
# ~40) into examples/NN_name/full_run_output.txt, the file its chapter may quote beside the --quick
# output that ctest diffs. Standard output only: it holds what a seeded run reproduces; times
# and the progress line (standard error) go to <name>_out/run.log (r1_zero_out/, r1_pipeline_out/).
# Usage: bash scripts/record_full_run.sh [NN_name]    (after a change to the example you meant)
set -euo pipefail
cd "$(dirname "$0")/.."
example=${1:-06_r1_zero}
out=${example#[0-9][0-9]_}_out
make run-build MAIN_EXAMPLE="$example" >&2
mkdir -p "$out"
build-native/examples/"$example" > examples/"$example"/full_run_output.txt 2> >(tee "$out"/run.log >&2)
echo "recorded examples/$example/full_run_output.txt (times in $out/run.log)"
