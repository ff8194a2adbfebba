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

# The two database passes run at once, one a core (each is one pytest process). The PostgreSQL pass
# prints as it goes; the SQLite pass writes to a log that is printed when both have ended: its summary
# line, or its last 200 lines when it failed. Each pass has its own Redis databases (tests/redis_dbs.py)
# and its own coverage folder, so neither combines or erases the other's data.
COVERAGE_DIR := $(CURDIR)/var/coverage
test-py: install rsyslog
	rm -rf .coverage .coverage.* $(COVERAGE_DIR)
	@if [ -f web/package.json ]; then $(MAKE) --no-print-directory -C web install; fi  # the SSO tests' oidc-provider, once
	@log=$$(mktemp /tmp/fleetgate-test-sqlite.XXXXXX); \
	$(MAKE) --no-print-directory test-sqlite >"$$log" 2>&1 & lite=$$!; \
	$(MAKE) --no-print-directory test-postgres; pg=$$?; \
	wait $$lite; sq=$$?; \
	echo "SQLite pass (its whole output: $$log)"; \
	if [ $$sq -eq 0 ]; then tail -n 1 "$$log"; else tail -n 200 "$$log"; fi; \
	echo "PostgreSQL pass: $$([ $$pg -eq 0 ] && echo passed || echo FAILED); SQLite pass: $$([ $$sq -eq 0 ] && echo passed || echo FAILED)"; \
	[ $$pg -eq 0 ] && [ $$sq -eq 0 ]
	$(MAKE) --no-print-directory coverage

test-sqlite: install
	mkdir -p $(COVERAGE_DIR)/sqlite
	FLEETGATE_LOG_LEVEL=WARNING FLEETGATE_DATA_DIR=$$(mktemp -d) FLEETGATE_DATABASE_URL= FLEETGATE_TEST_REDIS_BASE=1 \
	  COVERAGE_FILE=$(COVERAGE_DIR)/sqlite/.coverage $(BIN)/pytest --cov --cov-report= -p no:randomly --basetemp=$$(mktemp -d)

test-postgres: install
	mkdir -p $(COVERAGE_DIR)/postgres
	FLEETGATE_LOG_LEVEL=WARNING FLEETGATE_DATA_DIR=$$(mktemp -d) FLEETGATE_DATABASE_URL=$(PG_URL)/fleetgate_ci_$$$$_$$(date +%s) \
	  FLEETGATE_TEST_REDIS_BASE=8 COVERAGE_FILE=$(COVERAGE_DIR)/postgres/.coverage $(BIN)/pytest --cov --cov-report= --create-db --basetemp=$$(mktemp -d)

# Each pass's pytest-cov leaves one combined `.coverage` in its folder; given a folder, `coverage combine`
# looks only for `.coverage.*` in it, so the files are named.
coverage: install
	$(BIN)/coverage combine -q $(wildcard $(COVERAGE_DIR)/sqlite/.coverage $(COVERAGE_DIR)/postgres/.coverage)
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
