# finmon — the two commands a user needs are `make demo` and `make test`.
# Both create .venv on first use and install what they need into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST := $(BIN)/python -m pytest

.PHONY: help install demo test test-slow lint format bench clean

help:
	@echo "make demo       run finmon on the embedded default (no servers needed)"
	@echo "make test       lint, type-check and run the test suite (what CI runs)"
	@echo "make test-slow  the long soak/chaos runs"
	@echo "make bench      run the benchmarks, writing bench/results/*.json"
	@echo "make lint       ruff check, ruff format --check, mypy"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[postgres,redis,nats,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/finmon demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# pytest exits 5 when it collects no tests; that is a failure here, never a pass.
test: lint
	$(PYTEST) -m "not slow" --cov --cov-report=term -p no:cacheprovider

test-slow: $(STAMP)
	$(PYTEST) -m slow -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/bench_log.py
	$(BIN)/python bench/bench_sim.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_api.py

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) .finmon .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
