# The two commands of the README, and the steps they are made of.
#   make run    set up, build, and run the main example
#   make test   set up, build, and run the whole test suite
BUILD ?= build
JOBS  ?= $(shell nproc)
MAIN_EXAMPLE ?= 01_worked_example

.PHONY: run test setup configure build clean

run: build
	$(BUILD)/examples/$(MAIN_EXAMPLE)

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
