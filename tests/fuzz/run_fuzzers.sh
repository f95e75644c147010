#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with clang in build-fuzz/ (the fuzzers alone: no tests,
# examples or benchmarks) and runs each for FUZZ_SECONDS (or FUZZ_RUNS executions, when set).
# Seeds are copied into a scratch corpus under build-fuzz/corpus/ (tests/data is only read).
# Fails when any target crashes: a sanitizer report, a timeout, an out-of-memory, or an exception
# that is not grpo::Error; the input that did it is saved as build-fuzz/findings/<target>-crash-*.
# Usage: FUZZ_SECONDS=60 bash tests/fuzz/run_fuzzers.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_RUNS=${FUZZ_RUNS:-}
JOBS=${JOBS:-$(nproc)}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
CXX_FUZZ=${CXX_FUZZ:-clang++}
FUZZ_CXXFLAGS=${FUZZ_CXXFLAGS:-}   # extra compile flags for the fuzz build
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_safetensors fuzz_checkpoint fuzz_rewards fuzz_program)

cmake -S . -B "$FUZZ_BUILD" -DCMAKE_CXX_COMPILER="$CXX_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS="$FUZZ_CXXFLAGS" -DGRPO_BUILD_FUZZERS=ON -DGRPO_BUILD_EXAMPLES=OFF -DGRPO_BUILD_BENCH=OFF -DGRPO_ENABLE_CUDA=OFF \
      -DGRPO_USE_OPENMP=OFF -DGRPO_INSTALL=OFF >/dev/null
cmake --build "$FUZZ_BUILD" --target grpo_fuzzers -j "$JOBS"

corpus=$FUZZ_BUILD/corpus
findings=$FUZZ_BUILD/findings
logs=$FUZZ_BUILD/logs
mkdir -p "$corpus"/{fuzz_safetensors,fuzz_checkpoint,fuzz_rewards,fuzz_program} "$findings" "$logs"
# Seeds: the checked-in safetensors files, and a valid checkpoint of fuzz_checkpoint's model.
cp tests/data/*.safetensors "$corpus/fuzz_safetensors/"
if [ -d tests/data/safetensors_corpus ]; then
  find tests/data/safetensors_corpus -maxdepth 1 -name '*.safetensors' -exec cp {} "$corpus/fuzz_safetensors/" \;
fi
"$FUZZ_BUILD/tests/make_fuzz_seeds" "$corpus/fuzz_checkpoint" "$corpus/fuzz_safetensors"
printf '%s' '<think>2x + 3 = 7, so 2x = 4</think> <answer>2</answer>' >"$corpus/fuzz_rewards/linear"
printf '%s' '<think>(6 - 2) * 5 = 20</think><answer>(6 - 2) * 5</answer>' >"$corpus/fuzz_rewards/countdown"
printf '%s' '<think>x = 7/2 = 3.5</think>\n<answer>-7/2</answer>' >"$corpus/fuzz_rewards/fraction"
printf '%s' '<think>思考 step</think><answer>０.5</answer>' >"$corpus/fuzz_rewards/cjk"
printf 's = 0\nwhile n > 0 do\ns = s + n\nn = n - 1\nend\nprint s\n' >"$corpus/fuzz_program/sum_to_n"
printf 'if a > b then\nprint a - b\nelse\nprint -(b - a) * 2 / 3 %% 5\nend\n' >"$corpus/fuzz_program/if_else"
printf 'while 1 do\nprint a\nend\n' >"$corpus/fuzz_program/forever"

if [ -n "$FUZZ_RUNS" ]; then budget=(-runs="$FUZZ_RUNS"); else budget=(-max_total_time="$FUZZ_SECONDS"); fi
failed=()
for t in "${targets[@]}"; do
  extra=()
  case $t in fuzz_safetensors|fuzz_checkpoint) extra=(-dict=tests/fuzz/safetensors.dict) ;; esac
  echo "fuzz: $t (${budget[*]})"
  rc=0
  "$FUZZ_BUILD/tests/$t" "${budget[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$findings/$t-" "${extra[@]}" "$corpus/$t" >"$logs/$t.log" 2>&1 || rc=$?
  if [ $rc -eq 0 ]; then
    grep -E '^Done [0-9]+ runs in' "$logs/$t.log" | sed "s/^/fuzz: $t: /"
  else
    echo "fuzz: $t FAILED (exit $rc); its log, $logs/$t.log, ends:"
    tail -n 60 "$logs/$t.log"
    ls "$findings" | grep "^$t-" | sed "s|^|fuzz: $t: input saved as $findings/|" || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran clean"
