# The commands of the README, and the steps they are made of.
#   make run            set up, build, and run the main job: R1-Zero from scratch (example 06,
#                       ~14 minutes on 2 cores); its outputs go to r1_zero_out/
#   make run QUICK=1    the same at toy size, in seconds (outputs in r1_zero_quick/)
#   make run MAIN_EXAMPLE=07_r1_pipeline   the R1 pipeline instead (~40 minutes; r1_pipeline_out/)
#   make examples       set up and build the numbered examples alone, in build/examples/
#   make test           set up, build, and run the whole test suite
#   make bench          build the Google Benchmark programs, for this CPU, in build-bench/bench/
#   make check-march MARCH=cooperlake   build the main job and the benchmarks for another CPU
#                       without running them (CI does, for an AVX-512 CPU it does not have)
#   make test-asan      the whole suite (unit tests, examples' output diffs) under ASan + UBSan,
#                       in build-asan/; any sanitizer report fails its test
#   make fuzz FUZZ_SECONDS=60   build the libFuzzer targets with clang in build-fuzz/ and run each
#                       for FUZZ_SECONDS; fails on a crash, a sanitizer report or an exception
#                       that is not grpo::Error (tests/fuzz/run_fuzzers.sh); FUZZ_RUNS=1000000
#                       runs that many inputs each instead
#   make docs           the API reference (doxygen, docs/Doxyfile) in build-docs/html/; fails on any
#                       doxygen warning, e.g. a public name without a doc comment
BUILD ?= build
JOBS  ?= $(shell nproc)
MAIN_EXAMPLE ?= 06_r1_zero
MARCH ?= cooperlake

.PHONY: run run-build examples test test-asan fuzz bench check-march docs setup configure build clean

# The main job is built alone, with -march=native, in its own folder (the test build stays
# portable: its examples' outputs are diffed bit for bit).
RUN_BUILD ?= build-native

run: run-build
	$(RUN_BUILD)/examples/$(MAIN_EXAMPLE) $(if $(QUICK),--quick)

run-build: setup
	cmake -S . -B $(RUN_BUILD) -DCMAKE_BUILD_TYPE=Release -DGRPO_NATIVE=ON -DGRPO_BUILD_TESTS=OFF \
	      -DGRPO_BUILD_BENCH=OFF -DGRPO_ENABLE_CUDA=OFF
	cmake --build $(RUN_BUILD) --target example_$(MAIN_EXAMPLE) -j $(JOBS)

examples: configure
	cmake --build $(BUILD) --target grpo_examples -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The sanitizer build: -O1 (Eigen at -O0 would make the examples crawl), assertions on, line
# tables for the reports' stack traces; CPU only (nvcc and ASan do not mix). The same portable
# flags otherwise, so the examples' outputs are still diffed bit for bit. A report aborts the
# program (-fno-sanitize-recover=all, halt_on_error), and so fails its test; leaks count.
ASAN_BUILD ?= build-asan
SANITIZER_ENV = ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1:check_initialization_order=1:strict_string_checks=1 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
	      -DGRPO_SANITIZE=ON -DGRPO_BUILD_BENCH=OFF -DGRPO_ENABLE_CUDA=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	$(SANITIZER_ENV) ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer targets (clang): the safetensors reader, the checkpoint loader, the reward parsers.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) JOBS=$(JOBS) bash tests/fuzz/run_fuzzers.sh

# The benchmarks are programs for this CPU (-march=native), not tests: they have a build of their own.
bench: setup
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DGRPO_BUILD_TESTS=OFF -DGRPO_BUILD_EXAMPLES=OFF \
	      -DGRPO_BUILD_BENCH=ON
	cmake --build build-bench -j $(JOBS)

# What `make run` and `make bench` build, for the CPU MARCH names: a warning in a CPU's intrinsics
# (GCC 12's avx512fintrin.h inside Eigen) must never fail them again. Compiled, not run.
check-march: setup
	cmake -S . -B build-$(MARCH) -DCMAKE_BUILD_TYPE=Release -DGRPO_NATIVE=ON -DGRPO_MARCH=$(MARCH) \
	      -DGRPO_BUILD_TESTS=OFF -DGRPO_BUILD_BENCH=ON -DGRPO_ENABLE_CUDA=OFF
	cmake --build build-$(MARCH) --target example_$(MAIN_EXAMPLE) grpo_benchmarks -j $(JOBS)

# The API reference: doxygen writes build-docs/html/index.html from the headers' doc comments. Any
# warning fails (an undocumented public name, a broken doc comment, an unknown Doxyfile tag):
# doxygen's own output and its log (build-docs/doxygen-warnings.txt) are printed and counted.
docs: setup
	rm -rf build-docs
	mkdir -p build-docs
	doxygen docs/Doxyfile > build-docs/doxygen-output.txt 2>&1 || { cat build-docs/doxygen-output.txt; exit 1; }
	@cat build-docs/doxygen-output.txt build-docs/doxygen-warnings.txt; \
	n=$$(cat build-docs/doxygen-output.txt build-docs/doxygen-warnings.txt | grep -c 'warning:\|error:'); \
	lines=$$(cat build-docs/doxygen-output.txt build-docs/doxygen-warnings.txt | grep -c .); \
	if [ "$$lines" -ne 0 ]; then echo "docs: $$n doxygen warning(s), see above (build-docs/doxygen-warnings.txt)"; exit 1; fi; \
	echo "docs: no doxygen warnings; the API reference is build-docs/html/index.html"

build: configure
	cmake --build $(BUILD) -j $(JOBS)

configure: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DGRPO_BUILD_BENCH=OFF

setup:
	bash scripts/setup.sh

clean:
	rm -rf $(BUILD) build-bench build-native build-$(MARCH) $(ASAN_BUILD) build-fuzz build-docs
