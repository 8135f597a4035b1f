# retaind: the two commands a newcomer runs are `make demo` and `make test`.
# Both install what they need first (scripts/setup.sh).

SWIFT ?= swift
BUILD ?= .build/debug

.PHONY: all setup build release demo test fuzz fuzz-smoke bench clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

## The main job: run the daemon on example checkpoints; print history and journal.
demo: build
	@bash scripts/demo.sh $(BUILD)/retaind

## The test suite (Swift Testing; Python references for cross-checks). The Python
## tools' own tests need torch and skip themselves where it is not installed.
test: setup
	@# The Python tools' tests skip themselves without torch; pytest then exits 5 ("no
	@# tests ran"), which is not a failure here.
	python3 -m pytest -q tools/tests || [ $$? -eq 5 ]
	$(SWIFT) test

## Fuzz the safetensors header parser with libFuzzer (FUZZ_SECONDS, default 600).
FUZZ_SECONDS ?= 600
fuzz:
	@bash Fuzz/run.sh $(FUZZ_SECONDS)

## A short fuzz run, as CI does.
fuzz-smoke:
	@bash Fuzz/run.sh 30

## Read + convert benchmark over a generated 2 GiB BF16 checkpoint.
bench: setup
	@bash Benchmarks/convert.sh

clean:
	rm -rf .build .build-fuzz demo-out
