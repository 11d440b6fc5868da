# idearoom: the two commands of the quick start, and a few more.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint setup bench clean

$(BIN)/idearoom: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $(BIN)/idearoom

setup: $(BIN)/idearoom  ## create the virtual environment and install everything

run: setup  ## run the bot (console with the demo organisation unless platform tokens are set)
	$(BIN)/idearoom run

test: setup  ## run the whole test suite (SQLite and PostgreSQL), one process per CPU
	$(BIN)/python -m pytest -n auto --dist loadgroup

lint: setup  ## ruff (lint and format), mypy, and the import-linter contracts of pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup  ## run the benchmarks and print their tables (not part of CI)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) *.egg-info idearoom.db idearoom.db-wal idearoom.db-shm
