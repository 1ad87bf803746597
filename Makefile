# Entry points: `make demo` runs the demo, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench broker-start broker-stop clean

$(BIN)/stream-engine: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/stream-engine

install: $(BIN)/stream-engine

demo: install
	$(BIN)/python -m examples.demo

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy stream_engine connectors

bench: install
	$(BIN)/python -m bench.run

broker-start: install
	$(BIN)/stream-engine dev broker start

broker-stop: install
	$(BIN)/stream-engine dev broker stop
