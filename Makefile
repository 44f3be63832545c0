# finmon — the two commands a user needs are `make demo` and `make test`.
# Both create .venv on first use and install what they need into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST := $(BIN)/python -m pytest

.PHONY: help install demo test test-slow lint format bench clean postgres-2pc

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

# Sharded-ledger tests need PREPARE TRANSACTION, i.e. max_prepared_transactions > 0.
# Idempotent: does nothing when it is already set; needs pg_ctlcluster (a local
# Debian-style server) to restart, else prints a note (those tests then skip
# outside CI and fail under CI=true).
PG_TEST_URL = $${FINMON_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
postgres-2pc:
	@current=$$(psql "$(PG_TEST_URL)" -Atc "SHOW max_prepared_transactions" 2>/dev/null); \
	if [ -z "$$current" ]; then \
		echo "postgres-2pc: PostgreSQL unreachable (or no psql); 2PC tests will skip"; \
	elif [ "$$current" -gt 0 ]; then \
		echo "postgres-2pc: max_prepared_transactions = $$current"; \
	elif ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /etc/postgresql ]; then \
		echo "postgres-2pc: max_prepared_transactions = 0 and no pg_ctlcluster here;" \
			"set it to 64 and restart the server by hand (2PC tests will skip)"; \
	else \
		psql "$(PG_TEST_URL)" -c "ALTER SYSTEM SET max_prepared_transactions = 64" && \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main restart && \
		for i in $$(seq 1 30); do \
			psql "$(PG_TEST_URL)" -Atc "SELECT 1" >/dev/null 2>&1 && break; sleep 1; \
		done; \
		echo "postgres-2pc: max_prepared_transactions =" \
			$$(psql "$(PG_TEST_URL)" -Atc "SHOW max_prepared_transactions"); \
	fi

# pytest exits 5 when it collects no tests; that is a failure here, never a pass.
test: lint postgres-2pc
	$(PYTEST) -m "not slow" --cov --cov-report=term -p no:cacheprovider

test-slow: $(STAMP)
	$(PYTEST) -m slow -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/bench_log.py
	$(BIN)/python bench/bench_sim.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_ledger_sharding.py
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_monitor.py
	$(BIN)/python bench/bench_screening.py
	$(BIN)/python bench/bench_graph.py
	$(BIN)/python bench/bench_aml.py

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) .finmon .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
