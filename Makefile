# Fleetgate. `make run` and `make test` set up everything they need from the project's own files.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
PG_URL ?= postgres://postgres@127.0.0.1:5432

.PHONY: install run test test-py test-sqlite test-postgres coverage lint schema schema-check bench ui ui-test clean rsyslog wrk

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

## Fleetgate with demo data on http://127.0.0.1:8000 (Ctrl-C stops it)
run: install ui
	$(BIN)/fleetgate up --demo

## The whole suite: lint, contract check, Python tests on SQLite and PostgreSQL, coverage, UI tests
test: install lint schema-check test-py ui-test

test-py: install rsyslog
	rm -f .coverage .coverage.*
	$(MAKE) test-sqlite
	$(MAKE) test-postgres
	$(MAKE) coverage

test-sqlite: install
	FLEETGATE_LOG_LEVEL=WARNING FLEETGATE_DATA_DIR=$$(mktemp -d) FLEETGATE_DATABASE_URL= \
	  $(BIN)/pytest --cov --cov-report= -p no:randomly

test-postgres: install
	FLEETGATE_LOG_LEVEL=WARNING FLEETGATE_DATA_DIR=$$(mktemp -d) FLEETGATE_DATABASE_URL=$(PG_URL)/fleetgate_ci_$$$$_$$(date +%s) \
	  $(BIN)/pytest --cov --cov-append --cov-report= --create-db

coverage: install
	$(BIN)/coverage combine -q || true
	$(BIN)/coverage report --fail-under=90

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## Regenerate openapi.yaml (and the UI's TypeScript types) from the code
schema: install
	FLEETGATE_DATA_DIR=$$(mktemp -d) $(BIN)/fleetgate manage spectacular --file openapi.yaml --validate --fail-on-warn
	@if [ -f web/package.json ]; then $(MAKE) -s ui-types; fi

## Fail when the committed contract differs from the code
schema-check: install
	FLEETGATE_DATA_DIR=$$(mktemp -d) $(BIN)/fleetgate manage spectacular --file /tmp/fleetgate-openapi.$$$$.yaml --validate --fail-on-warn \
	  && diff -u openapi.yaml /tmp/fleetgate-openapi.$$$$.yaml && echo "openapi.yaml matches the code"

## The web UI: build when its sources changed (see web/README.md for the dev server)
ui:
	@if [ -f web/package.json ]; then $(MAKE) --no-print-directory -C web build; else echo "no web UI yet"; fi

# The browser tests' summary ("e2e: N passed, N failed") stays the last line of the run.
ui-test:
	@if [ -f web/package.json ]; then $(MAKE) --no-print-directory -C web test; else echo "no web UI tests yet"; fi

# The SIEM tests' real receiver: Debian's rsyslog with GnuTLS, installed only when missing (CI runs as root)
rsyslog:
	@if [ ! -x /usr/sbin/rsyslogd ] || ! ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1; then \
	  echo "installing Debian's rsyslog and rsyslog-gnutls (the SIEM tests' receiver)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    rsyslog rsyslog-gnutls >/dev/null; \
	fi

wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  echo "installing Debian's wrk (the ceiling A/B's load generator: C, so the loader takes little of the CPU)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; \
	fi

ui-types:
	$(MAKE) --no-print-directory -C web types

## Benchmarks (figures printed, never timed tests): evidence seal/verify, connector observe, API load
bench: install wrk
	$(BIN)/python bench/evidence_bench.py
	$(BIN)/python bench/observe_bench.py
	$(BIN)/python bench/rollout_bench.py
	$(BIN)/python bench/reconcile_bench.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ceiling_ab.py
	$(BIN)/python bench/throttle_bench.py
	$(BIN)/python bench/ledger_lock_bench.py

clean:
	rm -rf $(VENV) var web/node_modules web/dist
