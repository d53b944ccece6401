# Two commands do all the set-up on a fresh machine:
#   make run   - the portal with demo data on the embedded defaults (SQLite + a local Meilisearch)
#   make test  - the whole test suite, on SQLite and again on PostgreSQL
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
VENV_STAMP := .venv/.installed
ASSETS_STAMP := node_modules/dkfds/package.json
MEILI_STAMP := .cache/meilisearch/.ready
TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The venv's interpreter: the distribution's own Python 3.11 when there is one. Debian builds it
# with profile-guided optimisation and LTO; an interpreter built from source without them (pyenv's
# default) spent about 13 % more CPU per search page (bench/RESULTS.md, session 9). Else python3.11
# on PATH, else python3.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3.11)

.PHONY: run test test-sqlite test-postgres install install-test bench clean help

help:
	@echo "make run   - the portal with demo data on http://127.0.0.1:$${MARKETPLACE_PORT:-8000}"
	@echo "make test  - the tests (SQLite, then PostgreSQL at $(TEST_PG_URL))"
	@echo "make bench - the benchmarks (figures go to bench/RESULTS.md)"

$(VENV_STAMP): pyproject.toml
	@echo "==> Python-miljø / Python environment (.venv)"
	@test -x $(PY) || $(PYTHON) -m venv .venv || python3.11 -m venv --clear .venv || python3 -m venv --clear .venv
	@$(PIP) install --disable-pip-version-check --progress-bar on -q --upgrade pip
	@$(PIP) install --disable-pip-version-check --progress-bar on -e ".[test]"
	@touch $@

$(ASSETS_STAMP): package.json package-lock.json
	@echo "==> Designsystemet DKFDS / design system assets"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(MEILI_STAMP): tools/fetch-meilisearch
	@tools/fetch-meilisearch >/dev/null
	@touch $@

install: $(VENV_STAMP) $(ASSETS_STAMP) $(MEILI_STAMP)

# Debian's Chromium for the browser tests (Playwright drives the system browser).
install-test: install
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "==> Chromium (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

run: install
	@.venv/bin/marketplace run

test: install-test
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "==> Tests på SQLite / tests on SQLite"
	@env -u MARKETPLACE_DATABASE_URL .venv/bin/pytest $(PYTEST_ARGS)

test-postgres:
	@echo "==> Tests på PostgreSQL / tests on PostgreSQL ($(TEST_PG_URL))"
	@MARKETPLACE_DATABASE_URL=$(TEST_PG_URL) .venv/bin/pytest $(PYTEST_ARGS)

# wrk (Debian) drives the load benchmark; BENCH_ARGS=--quick for a smoke run.
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "==> wrk (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi; }
	@.venv/bin/python -m bench.run_all $(BENCH_ARGS)

clean:
	rm -rf .venv node_modules .cache data
