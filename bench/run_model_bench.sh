#!/usr/bin/env bash
# One training step of the reference model, grpo (C++, build-bench/bench/bench_model, from make bench) against PyTorch
# CPU (bench/bench_model_torch.py, Debian's torch 1.13), both in float on 2 threads. Builds
# nothing: build bench_model first
#   cmake --build build -j2 --target bench_model
# Usage: bench/run_model_bench.sh [build dir, default build] [rounds, default 3]
# PyTorch needs OpenBLAS (apt-get install libopenblas0-pthread): without it Debian's torch uses the
# netlib reference BLAS and runs ~13x slower, which would flatter grpo.
# Each round runs the C++ step (Google Benchmark, 5 repetitions) and then the torch step (5
# repetitions of 5 steps) back to back, so a machine shared with other jobs loads both alike;
# the ratio is of the medians over all rounds. Torch runs at its best here: OPENBLAS_NUM_THREADS=1,
# OPENBLAS_CORETYPE unset, torch.set_num_threads(2) (the default environment oversubscribes the
# cores). % of peak is against PEAK_GFLOPS (default 448: this machine's 2 cores at about 3.5 GHz
# × 64 fp32 FLOP a cycle with AVX-512 FMA).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../build-bench}"
rounds="${2:-3}"
threads="${THREADS:-2}"
peak="${PEAK_GFLOPS:-448}"  # fp32 peak of this machine's 2 cores (AVX-512 FMA), GFLOP/s
bin="$build/bench/bench_model"
py=/usr/bin/python3  # Debian's python with python3-torch, not the python3 earlier on PATH
[[ -x "$bin" ]] || { echo "no $bin: cmake --build <build> -j2 --target bench_model" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for ((r = 0; r < rounds; ++r)); do
  echo "== round $((r + 1))/$rounds: grpo (C++)"
  OMP_NUM_THREADS="$threads" "$bin" --benchmark_filter="^BM_train_step/$threads/" \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=false \
    --benchmark_out="$tmp/cpp_$r.json" --benchmark_out_format=json | grep -E "BM_train_step" || true
  echo "== round $((r + 1))/$rounds: PyTorch"
  env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 "$py" "$here/bench_model_torch.py" \
    --threads "$threads" --repetitions 5 --steps 3 | tee "$tmp/torch_$r.txt"
done

"$py" - "$tmp" "$rounds" "$peak" <<'EOF'
import json, statistics, sys
tmp, rounds, peak = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
cpp, torch_rates, gflop = [], [], None
for r in range(rounds):
    for b in json.load(open(f"{tmp}/cpp_{r}.json"))["benchmarks"]:
        if b.get("run_type") == "iteration":
            cpp.append(b["tokens/s"])
            gflop = b["GFLOP/s"] / b["tokens/s"]  # GFLOP per token
    for line in open(f"{tmp}/torch_{r}.txt"):
        if "tokens/s" in line and not line.startswith("{"):
            torch_rates.append(float(line.split()[3]))
c, t = statistics.median(cpp), statistics.median(torch_rates)
print()
print(f"step: {gflop * 4096:.2f} GFLOP for 4096 tokens (64 x 64); medians of {len(cpp)} C++ and {len(torch_rates)} torch repetitions")
print(f"| | tokens/s | GFLOP/s | % of {peak:.0f} GFLOP/s peak |")
print("| --- | --- | --- | --- |")
print(f"| grpo (C++) | {c:.0f} | {c * gflop:.1f} | {100 * c * gflop / peak:.1f}% |")
print(f"| PyTorch {json.loads(open(f'{tmp}/torch_0.txt').read().splitlines()[-1])['torch_version']} | {t:.0f} | {t * gflop:.1f} | {100 * t * gflop / peak:.1f}% |")
print(f"ratio grpo / PyTorch tokens/s: {c / t:.2f}x")
EOF
