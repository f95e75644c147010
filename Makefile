# The commands of the README, and the steps they are made of.
#   make run            set up, build, and run the main job: R1-Zero from scratch (example 06,
#                       ~20 minutes on 2 cores); its outputs go to r1_zero_out/
#   make run QUICK=1    the same at toy size, in seconds (outputs in r1_zero_quick/)
#   make test           set up, build, and run the whole test suite
BUILD ?= build
JOBS  ?= $(shell nproc)
MAIN_EXAMPLE ?= 06_r1_zero

.PHONY: run test setup configure build clean

run: build
	$(BUILD)/examples/$(MAIN_EXAMPLE) $(if $(QUICK),--quick)

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
