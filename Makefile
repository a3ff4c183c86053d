# sopdraft: every setup step lives here so a fresh machine needs nothing by hand.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/.sopdraft-demo
PORT ?= 8501

.PHONY: install demo test test-fast browser-deps model bench lint clean

$(BIN)/sopdraft: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/sopdraft

model: install
	SOPDRAFT_DATA_DIR=$(DATA_DIR) $(BIN)/sopdraft model prepare

demo: model
	SOPDRAFT_DATA_DIR=$(DATA_DIR) $(BIN)/sopdraft ingest examples/
	SOPDRAFT_DATA_DIR=$(DATA_DIR) $(BIN)/sopdraft ui --port $(PORT)

browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: install browser-deps
	$(BIN)/python -m pytest -n 2 --timeout 900

test-fast: install
	$(BIN)/python -m pytest -n 2 -m "not smoke and not browser"

bench: model
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .sopdraft-demo
