# hearth: thin wrapper over CMake. `make run` and `make test` are the two set-up commands.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
CTEST_ARGS ?=
ARGS ?=
CC_FUZZ ?= clang

.PHONY: all build build-asan build-fuzz setup run test unit-asan fuzz fuzz-smoke bench format \
        format-check clean

all: build

setup:
	@scripts/setup

build:
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHEARTH_ASAN=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

build-fuzz:
	@CC=$(CC_FUZZ) cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DHEARTH_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

# Starts the micro cloud in the foreground on embedded defaults.
run: setup build
	@exec build/bin/hearthd $(ARGS)

test: setup build build-asan build-fuzz format-check
	@JOBS=$(JOBS) FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) CTEST_ARGS="$(CTEST_ARGS)" scripts/test

fuzz: build-fuzz
	@scripts/fuzz build-fuzz/fuzz $(FUZZ_SECONDS)

bench: setup build
	@scripts/bench

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	@clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES)
	@echo "format-check: $(words $(FORMAT_FILES)) files clean"

clean:
	@rm -rf build build-asan build-fuzz
