# Tinycast. `make demo` and `make test` are the README's two commands.
# Swift from the PATH, else the toolchain at /opt/swift (where this project's machines have it).
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SHELL := /bin/bash
REAL_DATA ?= ../shared/data/store-item-demand/train.csv

.PHONY: demo test test-avx512-emulated bench bench-compare bench-classical jupyter-compare slurm-test fuzz build deps clean lint format

# System libraries: GNU readline (the shell) and HDF5 (Keras' model files); tmux drives the
# terminal test. Install them when they are missing.
PACKAGES = libreadline-dev libhdf5-dev pkg-config tmux
deps:
	@{ pkg-config --exists readline hdf5 2>/dev/null && command -v tmux >/dev/null; } || { \
	  echo "installing $(PACKAGES)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(PACKAGES); \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq $(PACKAGES); fi; }

build: deps
	$(SWIFT) build -c release

# A session on the built-in data: trains two LSTMs, prints a comparison with the baselines.
demo: build
	.build/release/tinycast run examples/demo.tcs

# The numeric code is tested in release mode: debug builds are 30x slower at training.
# A hung test fails the run after 25 minutes instead of stalling CI (the suite takes about one).
test: deps
	$(SWIFT) build -c release --build-tests
	@timeout --kill-after=30 1500 $(SWIFT) test -c release --skip-build; status=$$?; \
	  if [ $$status -eq 124 ]; then echo "make test: the test suite did not finish within 25 minutes (a hung test)"; fi; exit $$status

# The AVX-512 kernels' tests on a processor without AVX-512 (Sources/CKernels/isa512.h): the
# kernels built against emulate512.h's portable intrinsics in a build folder of their own, and the
# processor checks saying yes, so the suites that hold every kernel width to the Swift code bit
# for bit, and those that train and compress models, run the 16-lane code too. Every module but
# the shell's, whose sessions train in child processes (too slow emulated): about a minute. CI runs it.
EMULATED_SUITES = NumericCoreTests|ModelingTests|CompressionTests|WorkbenchTests|EvaluationTests
test-avx512-emulated: deps
	$(SWIFT) build -c release --build-tests --scratch-path .build-avx512-emulated \
	  -Xcc -DTC_EMULATE_AVX512 -Xcc -ffp-contract=off
	$(SWIFT) test -c release --skip-build --scratch-path .build-avx512-emulated --filter '$(EMULATED_SUITES)'

# Release-only benchmarks: training throughput (1 and 2 threads) on the real file when present.
bench: build
	.build/release/tinycast-bench $(REAL_DATA)

# The article's Keras code and the TFLite interpreter timed on this machine, then Tinycast, with
# the ratios (needs `pip install tensorflow-cpu`; never needed by the tests).
bench-compare: build
	python3 bench/keras_reference.py $(REAL_DATA) .build/keras-reference.json
	.build/release/tinycast-bench $(REAL_DATA) --reference .build/keras-reference.json

# The classical yardstick by a reference implementation, on Tinycast's split and test targets:
# statsforecast's AutoETS and Theta, one step ahead (needs `pip install statsforecast`; never the tests).
bench-classical:
	python3 bench/statsforecast_reference.py $(REAL_DATA) --models ets,theta --out .build/statsforecast-reference.json

# A 4-point sweep as a Slurm job array on this machine (it starts munged, slurmctld and slurmd and
# stops them), merged and checked against the in-process sweep bit for bit. Needs root and
# Debian's slurm-wlm and munge (.ci/run installs them); docs/SCALE.md says more.
slurm-test: build
	tools/slurm_test.sh

# The two Jupyter kernels side by side (docs/JUPYTER.md): the shipped Python wrapper and the native
# prototype in tools/native-kernel (needs libzmq3-dev, ipykernel and jupyter_client; never the tests).
jupyter-compare: build
	swift build -c release --package-path tools/native-kernel
	rm -rf .build/kernels && .build/release/tinycast jupyter install --prefix .build/kernels
	python3 tools/measure_jupyter_kernels.py .build/kernels tools/native-kernel/.build/release/tinycast-native-kernel

# libFuzzer on the command line, the CSV reader, the model file, the session runner and Keras
# weights, FUZZ_SECONDS each (CI uses a shorter run). Seeds: Tests/Fuzz/corpus/TARGET; a crash
# is written to .build-fuzz/TARGET-crash-*: add it to the corpus as a regression and fix it.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = command csv tcm session keras kerasconfig merge bundle
fuzz: deps
	$(SWIFT) build -c release --product tinycast-fuzz --scratch-path .build-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; mkdir -p .build-fuzz/corpus/$$t; \
	  TINYCAST_FUZZ_TARGET=$$t .build-fuzz/release/tinycast-fuzz .build-fuzz/corpus/$$t Tests/Fuzz/corpus/$$t \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/$$t- 2>&1 | grep -E "^(#[0-9]+.*DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact)" ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

# The formatting gate CI runs: swift format lint --strict (.swift-format) and 120 columns.
lint:
	tools/lint.sh

# Formats every Swift file in place with the repository's .swift-format.
format:
	$(SWIFT) format format --in-place --recursive --parallel Sources Tests Package.swift

clean:
	rm -rf .build
