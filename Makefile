# Lianfang developer / CI entry points.  All targets are idempotent.
#
#   make venv    .venv with the project installed (editable)
#   make npm     node_modules/ with the pages' front-end packages (npm ci)
#   make run     the demo server on http://127.0.0.1:8000, and its exercise (a bundled drill, playing) on :8001
#   make test    system packages + test extras, the import rules (lint-imports), then the whole suite on every core (what CI runs)
#   make soak    only the soak tests (LIANFANG_SOAK=1)
#   make test-loaded  the whole suite three times, with a CPU hog per core beside it (RUNS=3)
#   make bench   python -m bench
#   make clean   remove .venv, var/ and caches

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null || echo python3)
VENV := .venv
VPY := $(VENV)/bin/python
PIP := $(VPY) -m pip --disable-pip-version-check
PYTEST := $(VPY) -m pytest -p no:cacheprovider -ra --durations=20
# make test: one pytest worker per core (pytest-xdist), whole test files to a worker so module fixtures are built
# once; TEST_JOBS=1 runs the suite in one process.
TEST_JOBS ?= auto
# pytest's per-test timeout, read from [tool.pytest.ini_options] in pyproject.toml
TIMEOUT = $(shell $(VPY) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["tool"]["pytest"]["ini_options"]["timeout"])')
SOAK_TIMEOUT ?= 0

# Playwright drives the Debian chromium; never download browsers.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_NO_INPUT := 1

.PHONY: venv npm run test lint-imports test-loaded soak bench clean system-deps

# --- virtualenv --------------------------------------------------------------

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Re-run pip when pyproject.toml changes (stamp files live inside .venv).
$(VENV)/.installed: pyproject.toml | $(VPY)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VPY)
	$(PIP) install -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# The pages' front-end packages (Leaflet, Leaflet-Geoman) from npm, exactly as package-lock.json pins them.
NPM_STAMP := node_modules/.installed
$(NPM_STAMP): package.json package-lock.json
	.ci/system-deps npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

npm: $(NPM_STAMP)

system-deps:
	.ci/system-deps

# --- targets -----------------------------------------------------------------

run: venv $(NPM_STAMP)
	$(VENV)/bin/lianfang serve --demo

# System packages first: on a clean Debian they may include what the venv needs
# (libpq5 for psycopg comes with postgresql).
test: system-deps $(VENV)/.installed-test $(NPM_STAMP)
	PYTHONPATH=tests $(VENV)/bin/lint-imports --no-cache
	@rc=0; $(PYTEST) --timeout=$(TIMEOUT) -n $(TEST_JOBS) --dist loadfile tests/ || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: FAILED - pytest collected no tests (exit 5)" >&2; \
	elif [ $$rc -ne 0 ]; then echo "make test: FAILED (pytest exit $$rc)" >&2; \
	else echo "make test: OK"; fi; \
	exit $$rc

# The import rules of pyproject.toml ([tool.importlinter]); tests/ on the path for its packages.
lint-imports: $(VENV)/.installed-test
	PYTHONPATH=tests $(VENV)/bin/lint-imports --no-cache

test-loaded:
	.ci/test-loaded

soak: system-deps $(VENV)/.installed-test $(NPM_STAMP)
	LIANFANG_SOAK=1 $(PYTEST) --timeout=$(SOAK_TIMEOUT) -m soak tests/

bench: system-deps venv $(NPM_STAMP)
	$(VPY) -m bench

clean:
	rm -rf $(VENV) node_modules/ var/ .pytest_cache/ .hypothesis/ test-output/ *.egg-info/
	find . \( -name .git -o -name node_modules \) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
