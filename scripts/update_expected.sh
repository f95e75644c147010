#!/usr/bin/env bash
# Rewrites examples/NN_name/expected_output.txt from the built examples, after a change to an
# example's output that you meant. Review the diff (git diff examples/) before committing:
# the tutorials quote these files.
# Usage: bash scripts/update_expected.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
for dir in examples/[0-9][0-9]_*/; do
  name=$(basename "$dir")
  [ -f "$dir/expected_output.txt" ] || [ -f "$dir/main.cpp" ] || continue
  args=""
  [ -f "$dir/ctest_args.txt" ] && args=$(cat "$dir/ctest_args.txt")
  # shellcheck disable=SC2086  # the arguments are words
  (cd "$build/examples" && "./$name" $args) > "$dir/expected_output.txt"
  echo "updated $dir/expected_output.txt"
done
