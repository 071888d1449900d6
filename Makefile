# The targets a newcomer needs. `make repl` sets everything up and opens the shell on the demo database;
# `make test` runs the test suite (what CI runs).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: repl install test test-slow lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

repl: $(STAMP)
	$(BIN)/nichelm-repl

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -q

lint: $(STAMP)
	$(BIN)/ruff check assistant lsp training eval convert tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/daemon_latency.py
	$(BIN)/python benchmarks/completion_latency.py

clean:
	rm -rf $(VENV) build *.egg-info
