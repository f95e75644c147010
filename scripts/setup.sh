#!/usr/bin/env bash
# Installs what grpo needs to build and test, from Debian's packages, when it is missing.
# Safe to re-run: a machine that has everything installs nothing and asks no registry.
# Usage: bash scripts/setup.sh   (as root, or as a user who may sudo)
set -euo pipefail

packages=(
  g++ make cmake          # compiler and build (CMake >= 3.25)
  libeigen3-dev           # the CPU backend's matrices
  doctest-dev             # the test framework
  libbenchmark-dev        # Google Benchmark, for bench/
  nlohmann-json3-dev      # JSON: safetensors headers, JSONL metrics
  clang                   # the libFuzzer targets of `make fuzz` (tests/fuzz/)
  libclang-rt-14-dev      # clang 14's libFuzzer and sanitizer runtimes (libclang_rt.fuzzer-x86_64.a)
  doxygen                 # the API reference of `make docs` (docs/Doxyfile)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
