# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs everything the project needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench install clean catalogue

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

# The message catalogue of plan.yaml `language` (src/deskplan/i18n.py): every message of the code
# and the HTML templates extracted (babel.cfg) and merged into each language's .po; then translate
# the entries left empty or marked fuzzy. tests/i18n/test_catalogue.py fails while one is missing.
catalogue: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k p_:1c,2 --no-location --sort-output -o build/deskplan.pot src
	$(BIN)/pybabel update -i build/deskplan.pot -d src/deskplan/locale -D deskplan --no-wrap

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build src/*.egg-info sandbox/build sandbox/src/*.egg-info
