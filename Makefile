# Everything Callsheet needs is installed into .venv by these targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test chaos bench lint typecheck fmt clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The pages' browser tests drive Debian's Chromium through Playwright (`playwright install`
# cannot download a browser here, and the apt package is the one the machine keeps current).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

install: $(STAMP) $(CHROMIUM)

demo: $(STAMP)
	$(BIN)/callsheet demo

test: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q

# The fault scenarios of tests/faults, ten times the size `make test` runs them at: a table of
# figures per scenario and database, also kept in chaos-results.json.
CHAOS_SCALE ?= 10
chaos: $(STAMP)
	CALLSHEET_CHAOS_SCALE=$(CHAOS_SCALE) $(BIN)/pytest -q tests/faults -m chaos -s

bench: $(STAMP)
	$(BIN)/python bench/burst.py
	$(BIN)/python bench/reflow.py
	$(BIN)/python bench/api_concurrency.py
	$(BIN)/python bench/pages.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache callsheet-demo
