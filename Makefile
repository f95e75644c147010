# The commands of the README, and the steps they are made of.
#   make run            set up, build, and run the main job: R1-Zero from scratch (example 06,
#                       ~14 minutes on 2 cores); its outputs go to r1_zero_out/
#   make run QUICK=1    the same at toy size, in seconds (outputs in r1_zero_quick/)
#   make run MAIN_EXAMPLE=07_r1_pipeline   the R1 pipeline instead (~40 minutes; r1_pipeline_out/)
#   make test           set up, build, and run the whole test suite
BUILD ?= build
JOBS  ?= $(shell nproc)
MAIN_EXAMPLE ?= 06_r1_zero

.PHONY: run run-build test setup configure build clean

# The main job is built alone, with -march=native, in its own folder (the test build stays
# portable: its examples' outputs are diffed bit for bit).
RUN_BUILD ?= build-native

run: run-build
	$(RUN_BUILD)/examples/$(MAIN_EXAMPLE) $(if $(QUICK),--quick)

run-build: setup
	cmake -S . -B $(RUN_BUILD) -DCMAKE_BUILD_TYPE=Release -DGRPO_NATIVE=ON -DGRPO_BUILD_TESTS=OFF \
	      -DGRPO_BUILD_BENCH=OFF -DGRPO_ENABLE_CUDA=OFF
	cmake --build $(RUN_BUILD) --target example_$(MAIN_EXAMPLE) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

configure: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

setup:
	bash scripts/setup.sh

clean:
	rm -rf $(BUILD)
