# gridmap — the two commands: `make run` and `make test`. Both install whatever is missing first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Debian's interpreter: its sqlite3 can load mod_spatialite (a pyenv/python.org build often cannot).
SYSTEM_PYTHON ?= /usr/bin/python3
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# pytest-xdist workers for `make test`: two per core. The tests wait more than they compute (a browser drawing, the
# database server, a live server's threads): with one worker per core the cores were busy 60 % of the run.
# `worksteal`: each worker starts on its own contiguous share of the tests (a file's browser fixture is made once
# per worker that runs it) and an idle worker takes tests from another's tail, so one long file no longer holds
# the whole run. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))

.PHONY: run test install install-test system system-test lint-js bench-import bench-map bench-routing bench-grids bench-cases clean-db demo-data help

help:
	@echo "make run    install what is missing, load the demo city into SpatiaLite, serve http://$(HOST):$(PORT)/"
	@echo "make test   install what is missing (incl. PostGIS and Chromium), run lint and the whole test suite"

run: install
	@$(PY) -m gridmap demo --if-empty
	$(PY) -m gridmap serve --host $(HOST) --port $(PORT)

test: install-test lint-js
	@$(VENV)/bin/ruff check gridmap tests scripts
	@$(VENV)/bin/ruff format --check -q gridmap tests scripts || { echo "run: $(VENV)/bin/ruff format gridmap tests scripts"; exit 1; }
	@out=$$($(VENV)/bin/lint-imports --no-cache --no-logo 2>&1) || { echo "$$out"; exit 1; }
	@out=$$($(VENV)/bin/mypy 2>&1) || { echo "$$out"; exit 1; }
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

install: system $(VENV)/.installed node_modules/.installed

install-test: system-test $(VENV)/.installed-test node_modules/.installed-test

system:
	@bash scripts/install-system.sh

system-test:
	@bash scripts/install-system.sh --test

$(VENV)/bin/python:
	@$(SYSTEM_PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml requirements.lock
	@echo "installing Python packages into $(VENV)"
	@$(PY) -m pip install -q --disable-pip-version-check -c requirements.lock -e .
	@touch $@

# Front-end packages from the npm registry, pinned by package-lock.json (never a CDN). `make run` needs only the
# runtime ones, Leaflet and its plugins (served by the app); `make test` also the JS linter and type checker (the
# devDependencies). A full install serves both, so going from test to run installs nothing.
node_modules/.installed: package.json package-lock.json
	@if [ node_modules/.installed-test -nt package.json ] && [ node_modules/.installed-test -nt package-lock.json ]; then \
	  touch $@; \
	else \
	  echo "installing front-end assets into node_modules (npm ci --omit=dev)"; \
	  npm ci --omit=dev --no-audit --no-fund --loglevel=error && touch $@; \
	fi

node_modules/.installed-test: package.json package-lock.json
	@echo "installing front-end assets and the JS lint tools into node_modules (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules/.installed $@

# The page scripts (gridmap/web/static/js): ESLint (eslint.config.mjs) and TypeScript's check of their JSDoc types
# (tsconfig.json). ESLint 9 (not 10) because Debian 12's own nodejs is 18.19: ESLint 10 needs Node.js 20.19.
lint-js: node_modules/.installed-test
	@npx --no-install eslint --max-warnings 0 gridmap/web/static/js eslint.config.mjs
	@npx --no-install tsc -p tsconfig.json

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml requirements.lock
	@$(PY) -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $@

bench-import: install-test
	$(PY) scripts/bench_import.py

bench-map: install-test
	$(PY) scripts/bench_map.py

bench-grids: install-test
	taskset -c 0 $(PY) scripts/bench_gridding.py

bench-routing: install-test
	$(PY) scripts/bench_routing.py

bench-cases: install-test
	$(PY) scripts/bench_cases.py

demo-data: install
	$(PY) scripts/make_demo_city.py --out data/boundaries

clean-db:
	rm -f instance/gridmap.sqlite instance/gridmap.sqlite-wal instance/gridmap.sqlite-shm
