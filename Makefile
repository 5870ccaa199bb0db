# Two commands a new user needs (see README): `make run` (build and publish a release) and `make test`.
# Both create .venv from pyproject.toml on first use; nothing else has to be installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
DEV_PORT ?= 3000

.PHONY: run test lint format dev validate install clean-data

# uv (pinned) installs the project's pinned dependencies: the same resolution as pip, in about 10 s instead of about
# a minute on these 2-core machines (parallel downloads and installs), which CI pays on every clean clone.
# --compile-bytecode writes every installed module's .pyc once (about 35 s): these machines set
# PYTHONDONTWRITEBYTECODE=1, and without .pyc files every Python process (each test worker, `sdoh`, the webserver, the
# daemon, the code server, a benchmark child) compiled dagster, pandas and great_expectations from source again, 5-9 s
# each (measured: a one-source test run 19.5 s -> 13.7 s).
UV_VERSION := 0.13.9

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[dev]"
	touch $@

install: $(BIN)/.installed

## Materialize every asset on the snapshot and publish a release (`sdoh refresh`; run as a module so it is always
## this checkout's code, also in a git worktree whose .venv is another checkout's).
run: $(BIN)/.installed
	$(BIN)/python -m pipelines.cli refresh

## Lint, format check and the whole test suite (what .ci/run calls), on three pytest-xdist workers on these 2-core
## machines: many tests wait on a child process (a Dagster webserver or daemon, PostgreSQL, Chromium, Streamlit, a
## benchmark subprocess), and a third worker runs meanwhile. Measured on a clean clone: 584 s with 3 workers, 670 s
## with 2 (592 tests).
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 3 --dist loadgroup --durations=15

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Dagster UI on http://127.0.0.1:3000 (DEV_PORT=... for another port), on the same instance as `make run`, so its
## runs show up. `dg dev` loads the code location named in pyproject.toml's [tool.dg] and the project's .env;
## VIRTUAL_ENV names the project's venv, which dg otherwise warns is not the active one.
dev: $(BIN)/.installed
	$(BIN)/python -m pipelines.instance
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev -h 127.0.0.1 -p $(DEV_PORT)

validate: $(BIN)/.installed
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

## Benchmarks (benchmarks/README.md): the main job on the snapshot, a national full refresh and a one-state refresh
## on generated national input, and the pandas / bare reference scripts on the same input; one JSON line and a table.
## Takes several minutes; BENCH_ARGS picks scenarios and scale, e.g. BENCH_ARGS="--scenarios national --states 11,44".
BENCH_ARGS ?=
.PHONY: bench
bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run_bench.py --json-out data/bench/last.json $(BENCH_ARGS)

## Dashboard (docs/dashboard/README.md): a Streamlit app with one page per ACH region over the latest published
## release, in its own environment (docs/dashboard/.venv, pinned with hashes in docs/dashboard/requirements.txt), on
## http://127.0.0.1:8501 (DASHBOARD_PORT=... for another port). It reads the published DuckDB file of this checkout,
## or the one SDOH_PUBLISHED_DB names; `make run` first. `make dashboard-install` only builds the environment.
DASHBOARD := docs/dashboard
DASHBOARD_VENV := $(DASHBOARD)/.venv
DASHBOARD_PORT ?= 8501
.PHONY: dashboard dashboard-install

$(DASHBOARD_VENV)/.installed: $(DASHBOARD)/requirements.txt
	$(PYTHON) -m venv $(DASHBOARD_VENV)
	$(DASHBOARD_VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(DASHBOARD_VENV)/bin/uv pip install --quiet --compile-bytecode --python $(DASHBOARD_VENV)/bin/python --require-hashes -r $(DASHBOARD)/requirements.txt
	touch $@

dashboard-install: $(DASHBOARD_VENV)/.installed

dashboard: $(DASHBOARD_VENV)/.installed
	cd $(DASHBOARD) && .venv/bin/python -m streamlit run app.py --server.address 127.0.0.1 --server.port $(DASHBOARD_PORT)
