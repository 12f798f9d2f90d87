# Handshake: `make demo` runs the warehouse on sample data, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev

export DAGSTER_HOME := $(CURDIR)/dagster_home
export DAGSTER_TELEMETRY_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
export HANDSHAKE_LANDING_DIR ?= $(CURDIR)/data/landing
export HANDSHAKE_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb
export HANDSHAKE_SPARK_HOME ?= $(CURDIR)/data/spark

SAMPLE_SCALE ?= 1
UI_PORT ?= 3000
DASHBOARD_PORT ?= 3001

.PHONY: help setup setup-dev manifest sample demo test lint ui clean kpi-lock glossary docs dashboard

help: ## list every target
	@awk -F':.*## ' '/^[a-z-]+:.*## / {printf "make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The warehouse (demo, ui, kpi-lock, glossary) needs the package alone; tests and
# lint add the dev tools and the Spark extra (the engine parity test runs Spark).
# pyproject.toml takes Python 3.11 only: say so before pip does, and never keep a
# .venv/ of another Python (pip would refuse the project on every make).
IS_PY311 := -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'

$(INSTALLED): pyproject.toml constraints.txt
	@if [ ! -x $(BIN)/python ]; then \
		"$(PYTHON)" $(IS_PY311) 2>/dev/null || { \
			echo "Handshake needs Python 3.11; '$(PYTHON)' is $$("$(PYTHON)" --version 2>&1 || echo missing). Install python3.11, or run make PYTHON=/path/to/python3.11" >&2; exit 2; }; \
		"$(PYTHON)" -m venv $(VENV); \
	fi
	@$(BIN)/python $(IS_PY311) || { \
		echo "$(VENV)/ holds $$($(BIN)/python --version 2>&1), not Python 3.11: remove it (rm -rf $(VENV)) and run make again" >&2; exit 2; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	@touch $@

$(INSTALLED_DEV): $(INSTALLED)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,spark]'
	@touch $@

setup: $(INSTALLED) ## create .venv/ with the pinned dependency set (constraints.txt)

setup-dev: $(INSTALLED_DEV) ## setup, plus the test and lint tools and the Spark extra

# The code location parses the dbt project itself when it loads and the manifest
# is missing or stale; the KPI tools (kpi-lock, glossary) read the manifest this writes.
manifest: setup ## dbt parse into dbt_project/target, with the settings a run uses
	@$(BIN)/python -m orchestration.defs.dbt

# Empty: no file but hidden ones (.DS_Store, .gitkeep), which the loader never reads.
# -H: a landing folder that is a symbolic link (to a share) is read through the link.
sample: setup ## generate sample extracts into data/landing (HANDSHAKE_LANDING_DIR) if it is empty (SAMPLE_SCALE=1)
	@if [ -z "$$(find -H "$(HANDSHAKE_LANDING_DIR)" -mindepth 1 -name '.*' -prune -o -type f -print 2>/dev/null | head -n 1)" ]; then \
		$(BIN)/handshake-sample-extracts --landing-dir "$(HANDSHAKE_LANDING_DIR)" --scale $(SAMPLE_SCALE); \
	else \
		echo "Landing folder $(HANDSHAKE_LANDING_DIR) has files: not generating samples."; \
	fi

# The summary is printed after a failed run too (it names the failed checks and
# why the publish gate refused); make then fails with the run's exit status.
demo: sample ## install, generate sample extracts, run refresh_warehouse, print a summary
	@run=0; summary=0; \
	$(BIN)/dg launch --job refresh_warehouse --config orchestration/run_config/quiet.yaml || run=$$?; \
	$(BIN)/python -m orchestration.summary || summary=$$?; \
	exit $$(( run ? run : summary ))

# Two workers (pytest-xdist), whole test modules each (--dist loadfile): the
# session's dbt parse and built warehouses are built once and shared
# (tests/conftest.py built_once). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

test: setup-dev manifest ## install, then run the whole test suite (lint included) on TEST_WORKERS=2 workers
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

lint: setup-dev manifest ## ruff and sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HANDSHAKE_WAREHOUSE=$$(mktemp -d)/lint.duckdb $(BIN)/sqlfluff lint dbt_project/models dbt_project/tests analyses
	cd reports && ../$(BIN)/sqlfluff lint sources queries

ui: setup ## the Dagster UI and daemon (dg dev) on http://127.0.0.1:3000 (UI_PORT)
	$(BIN)/dg dev -h 127.0.0.1 -p $(UI_PORT)

# The shared CFO + sales-leader dashboard (Evidence), from data/publish/handshake.duckdb
# (`make demo` publishes it). Needs Node.js and npm, nothing from the Python environment.
dashboard: ## build the Evidence dashboard from the published copy, serve it on http://127.0.0.1:3001 (DASHBOARD_PORT)
	scripts/build_dashboard.sh
	DASHBOARD_PORT=$(DASHBOARD_PORT) scripts/serve_dashboard.sh

# After an agreed KPI change (new version in seeds/kpi_registry.csv): record it.
kpi-lock: manifest ## record the KPI definitions' versions after an agreed change
	$(BIN)/python -m orchestration.kpis lock

# Regenerate the KPI glossary in docs/kpi-rules.md from the registry.
glossary: setup ## regenerate the KPI glossary in docs/kpi-rules.md from the registry
	$(BIN)/python -m orchestration.kpis glossary

# The generated parts of docs/ (a test keeps them current).
docs: setup ## regenerate the generated documents (contract objects, KPI glossary, dbt exposures)
	$(BIN)/python -m orchestration.project_docs

# What a run regenerates goes; the inputs and the record stay: the extracts in
# the landing folder, the company's settings files (manual account matches,
# targets) and the KPI history (numbers as reported, which no rebuild can give
# back). Delete those by hand to start over with other data.
clean: ## remove the warehouse, the published copy, Spark's folder, dbt target and logs, the dashboard build and Dagster's run storage (extracts, company settings and the KPI history stay)
	@test -n "$(HANDSHAKE_WAREHOUSE)" || { echo "HANDSHAKE_WAREHOUSE is set but empty: nothing removed" >&2; exit 2; }
	rm -rf "$(HANDSHAKE_WAREHOUSE)" "$(HANDSHAKE_WAREHOUSE).wal" "$${HANDSHAKE_DUCKDB_TEMP_DIR:-$(HANDSHAKE_WAREHOUSE).tmp}" \
		"$${HANDSHAKE_PUBLISH_DIR:-$(dir $(HANDSHAKE_WAREHOUSE))publish}" "$(HANDSHAKE_SPARK_HOME)" \
		dbt_project/target dbt_project/logs reports/build reports/.evidence
	find dagster_home -mindepth 1 ! -name dagster.yaml -exec rm -rf {} +
