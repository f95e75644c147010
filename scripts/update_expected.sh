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
  "$build/examples/$name" > "$dir/expected_output.txt"
  echo "updated $dir/expected_output.txt"
done
