# sopdraft: every setup step lives here so a fresh machine needs nothing by hand.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/.sopdraft-demo
PORT ?= 8501

.PHONY: install demo team-demo test test-fast browser-deps pg-deps model bench lint clean

$(BIN)/sopdraft: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/sopdraft

model: install
	SOPDRAFT_DATA_DIR=$(DATA_DIR) $(BIN)/sopdraft model prepare

demo: model
	SOPDRAFT_DATA_DIR=$(DATA_DIR) $(BIN)/sopdraft user demo
	SOPDRAFT_DATA_DIR=$(DATA_DIR) $(BIN)/sopdraft ingest examples/
	SOPDRAFT_DATA_DIR=$(DATA_DIR) $(BIN)/sopdraft ui --port $(PORT)

# The team stack on loopback (docs/deploy.md): PostgreSQL, a Chroma server, one model server, two UIs.
team-demo: model pg-deps
	$(BIN)/python scripts/team_demo.py --data-dir $(CURDIR)/.sopdraft-team

# A Chromium for the browser test: nothing to do if one is found (tests/support/browser.py), else
# Debian's where apt-get can install it (a failure there stops the run), else Playwright's
# own build where it can be downloaded; without any, the browser test skips and says why.
browser-deps: install
	@if $(BIN)/python -m tests.support.browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		$(BIN)/python -m playwright install chromium || echo "browser-deps: no Chromium installed; the browser test will skip"; \
	fi

# PostgreSQL server programs for the store tests (they start a throw-away cluster on loopback):
# nothing to do if initdb is found, else Debian's package where apt-get can install it, without
# the cluster Debian would create and start by default.
pg-deps:
	@if $(PY) -c "import sys; from tests.support.postgres import find_bin; sys.exit(not find_bin('initdb'))"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "pg-deps: install PostgreSQL's server (Debian: apt-get install postgresql) for the store tests"; exit 1; \
	fi

test: install browser-deps pg-deps
	SOPDRAFT_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -n 2 --timeout 900

test-fast: install
	$(BIN)/python -m pytest -n 2 -m "not smoke and not browser"

lint: install
	$(BIN)/ruff check .

bench: model
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .sopdraft-demo .sopdraft-team
