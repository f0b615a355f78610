# The single entry point: `make demo`, `make test`, `make lint`, `make bench`.
# `make demo` builds the demo region once, makes one account per role and serves the web UI
# on http://127.0.0.1:8000 until Ctrl-C; the next `make demo` reuses what it built.
# `make demo-data` (or MAST_DEMO_SERVE=0 make demo) builds without serving, for scripts and CI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= demo-data
DEMO_ARGS ?=  # e.g. DEMO_ARGS="--people 20000" for a smaller region
export MAST_HOME ?= $(CURDIR)/.mast-demo
# The demo region, the benchmarks and the tests use NHS numbers from the NHS test range
# (999…) so no real person's number appears; live homes drop those as placeholders.
export MAST_TRUST_TEST_NHS_NUMBERS ?= true
LINT_DIR := tools/cypher-lint
AXE_DIR  := tools/axe

MAST_DEMO_SERVE ?= 1
DEMO_PORT ?= 8000
DEMO_BUILT := $(MAST_HOME)/.demo-built

.PHONY: demo demo-data demo-clean test lint bench lock clean install

install: $(STAMP)

$(STAMP): requirements-dev.lock pyproject.toml $(LINT_DIR)/package-lock.json $(AXE_DIR)/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# Neo4j's Cypher linter checks every named query (tests/integration/graph/test_cypher_lint.py).
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; } \
	  || { echo "Node.js and npm are needed for the Cypher lint test: install them (apt-get install nodejs npm)"; exit 1; }
	cd $(LINT_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@# axe-core checks every page of the web UI for accessibility (tests/e2e/test_ui.py).
	cd $(AXE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@# The browser tests drive Debian's chromium (Playwright never downloads a browser).
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || { echo "Chromium is needed for the browser tests: install it (apt-get install chromium)"; exit 1; }
	@# The chronology PDF embeds DejaVu Sans, which sets Welsh letters (mast/web/chronology_pdf.py).
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; } \
	  || { echo "DejaVu fonts are needed for the chronology PDF: install them (apt-get install fonts-dejavu-core)"; exit 1; }
	@# The store tests run on SQLite and on a PostgreSQL server they start (tests/support/pg_server.py).
	@{ ls /usr/lib/postgresql/*/bin/initdb || command -v initdb; } >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
	  || { echo "PostgreSQL is needed for the store tests: install it (apt-get install postgresql), or set MAST_TEST_POSTGRES=0"; exit 1; }
	touch $(STAMP)

demo: demo-data
ifneq ($(MAST_DEMO_SERVE),0)
	@# Plain HTTP on this machine only, hence cookies without Secure. Ctrl-C stops the server
	@# cleanly (it closes the graph and the store) and leaves the data for the next run.
	MAST_COOKIE_SECURE=false $(BIN)/mast serve --host 127.0.0.1 --port $(DEMO_PORT)
endif

demo-data: $(STAMP)
	@if [ -f $(DEMO_BUILT) ]; then \
	  echo "Reusing the demo built in $(MAST_HOME) on $$(cat $(DEMO_BUILT)); 'make demo-clean' builds it afresh."; \
	elif [ -d $(MAST_HOME)/graph ]; then \
	  echo "Reusing the demo home $(MAST_HOME); 'make demo-clean' builds it afresh."; \
	  date -u +%FT%TZ > $(DEMO_BUILT); \
	else \
	  rm -rf $(MAST_HOME) $(DEMO_DIR) && $(BIN)/mast demo --out $(DEMO_DIR) $(DEMO_ARGS) && date -u +%FT%TZ > $(DEMO_BUILT); \
	fi
	$(BIN)/mast demo-accounts $(if $(filter 0,$(MAST_DEMO_SERVE)),,--url http://127.0.0.1:$(DEMO_PORT))

demo-clean:
	rm -rf $(DEMO_DIR) $(MAST_HOME)

lint: $(STAMP)
	$(BIN)/ruff check mast tests bench
	$(BIN)/ruff format --check mast tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/resolve_speed.py
	$(BIN)/python bench/graph.py
	$(BIN)/python bench/daily.py
	@# bench/crash.py (kill-and-replay at ~400k rows, over an hour) runs on its own.
	@# The API bench serves the demo home: `make demo-data` builds it if it is not there.
	test -d $(MAST_HOME)/graph || $(MAKE) demo-data
	$(BIN)/python bench/api.py --home $(MAST_HOME)

# Re-pin dependencies: requirements.lock is what MAST runs on (the Docker image installs only
# it); requirements-dev.lock adds the tests, linters and benchmarks (`make install`). Each
# keeps the versions it already pins unless they no longer fit; the output names packages
# and versions only, no registry addresses.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 --no-header -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mast-demo test-artefacts .pytest_cache .mypy_cache .ruff_cache $(LINT_DIR)/node_modules $(AXE_DIR)/node_modules
