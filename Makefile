# One command each for what people do: make run, make test, make lint, make bench.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED_DATA := $(abspath ../shared/data/sms-spam-collection/SMSSpamCollection)
# make run trains on TAGLOOP_DATA; where the shared copy of the corpus is beside the
# checkout it is used, since this machine cannot download the UCI archive.
# The SMS spam filter is the default project's own configuration: a legitimate message
# wrongly flagged costs twice a missed spam (docs/model.md, "Costs"). Other data gets no cost.
ifeq ($(TAGLOOP_DATA),)
  SMS_COSTS := --cost ham=2
  ifneq ($(wildcard $(SHARED_DATA)),)
    export TAGLOOP_DATA := $(SHARED_DATA)
  endif
endif

.PHONY: run serve install web test test-python test-frontend lint format typecheck bench clean openapi services frontend-types frontend-unit

run: install web ## Set up everything and serve at http://127.0.0.1:8000
	$(BIN)/tagloop ensure-model $(SMS_COSTS)
	$(BIN)/tagloop worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/tagloop serve

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $@

# The tests also cover the optional Flair backend, so they install its extra (torch's CPU
# build, ~1.3 GB); `make run` does not need it. From nothing, one pip run installs it all
# (and stands for `install` too) rather than resolving and building the package twice.
$(VENV)/.installed-test: pyproject.toml
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres,flair]'
	touch $(VENV)/.installed $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The web app is rebuilt only when a file it is built from changed (a stamp in its output).
WEB_SOURCES := $(shell find frontend/src frontend/public -type f -not -path '*/__tests__/*' 2>/dev/null) \
  $(wildcard frontend/index.html frontend/vite.config.ts frontend/tsconfig*.json) \
  frontend/package.json frontend/package-lock.json
WEB_STAMP := src/tagloop/static/.built

web: $(WEB_STAMP)

$(WEB_STAMP): frontend/node_modules/.installed $(WEB_SOURCES)
	cd frontend && npm run build
	touch $@

openapi: install ## Regenerate docs/openapi.json and the web app's API types
	$(BIN)/tagloop openapi > docs/openapi.json
	cd frontend && npm run gen:api

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck: install
	$(BIN)/mypy

# The Python packages, the web app's and the services (apt-get, PostgreSQL) are set up side
# by side: each mostly waits on the disk or the network. The tests start many Python
# processes (servers, workers, commands): they keep the bytecode they compile, even where the
# environment says not to (PYTHONDONTWRITEBYTECODE), rather than each compiling tagloop anew.
test: ## Lint, type-check and run every test
	$(MAKE) --no-print-directory -j3 $(VENV)/.installed-test frontend/node_modules/.installed services
	source scripts/test-services.sh >/dev/null && \
	$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck frontend-unit frontend-types web && \
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 --dist loadgroup

services:
	bash scripts/test-services.sh

# The web app's checks are separate targets so that `make -j2` spreads them over the cores.
frontend-types: frontend/node_modules/.installed
	@generated=$$(mktemp --suffix=.d.ts) && cd frontend && \
	  npx openapi-typescript ../docs/openapi.json -o $$generated >/dev/null 2>&1 && \
	  { cmp -s $$generated src/api/schema.d.ts || \
	    { echo "frontend/src/api/schema.d.ts is stale: run 'make openapi'" >&2; exit 1; }; }
	cd frontend && npm run typecheck

frontend-unit: frontend/node_modules/.installed
	cd frontend && npm run test:unit

bench: $(VENV)/.installed-test web ## Measure; results go to docs/benchmarks.md
	@command -v wrk >/dev/null || { echo "installing wrk (apt-get), the load generator"; \
	  apt-get install -y -qq wrk >/dev/null || { echo "install wrk first (apt-get install wrk)" >&2; exit 1; }; }
	$(BIN)/python benchmarks/bench_ml.py --write docs/benchmarks.md
	$(BIN)/python benchmarks/bench_api.py --write docs/benchmarks.md
	$(BIN)/python benchmarks/bench_flair.py --write docs/benchmarks.md
	$(BIN)/python benchmarks/bench_loop.py --write docs/benchmarks.md
	@test -f /usr/share/wordnet/data.noun -a -d /usr/share/games/fortunes || { \
	  echo "installing wordnet-base and fortunes (apt-get): text for bench_quality.py"; \
	  apt-get install -y -qq wordnet-base fortunes >/dev/null; }
	$(BIN)/python benchmarks/bench_quality.py --write docs/model.md
	$(BIN)/python benchmarks/bench_quality.py --scaling --write docs/benchmarks.md

clean:
	rm -rf $(VENV) frontend/node_modules src/tagloop/static/* .pytest_cache .mypy_cache .ruff_cache
