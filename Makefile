# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs everything the project needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench install clean

# deskplan and its simulators (sandbox/, a distribution of their own that deskplan runs without)
$(STAMP): pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./sandbox -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/deskplan demo

# the linter and the type checker first (seconds), then the tests
test: lint
	$(BIN)/python -m pytest -q

# ruff and mypy, configured in pyproject.toml (mypy's files = what it checks)
lint: $(STAMP)
	$(BIN)/ruff check src tests bench sandbox
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build src/*.egg-info sandbox/build sandbox/src/*.egg-info
