# Two entry points for a newcomer: `make start` and `make test`. Both create the
# virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: start test soak lint check clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Stocky needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Set everything up and run the demo: embedded cloud, 2 sedes x 1 caja, sales, an outage.
start: $(STAMP)
	$(BIN)/stocky demo

## Run the whole test suite (embedded PostgreSQL and Redis unless STOCKY_TEST_* are set).
test: $(STAMP)
	@# Browser tests drive Debian's Chromium (Playwright cannot download a browser here).
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; fi
	@# The JS realtime test uses the official socket.io-client (it skips without node).
	@if command -v npm >/dev/null && [ ! -d tests/js/node_modules ]; then npm install --prefix tests/js --no-audit --no-fund; fi
	$(BIN)/python -m pytest -n $${STOCKY_TEST_WORKERS:-2} tests -q

## Fuzzing and the sync properties at length (CI runs them briefly inside `make test`).
soak: $(STAMP)
	STOCKY_FUZZ_EXAMPLES=$${STOCKY_FUZZ_EXAMPLES:-300} STOCKY_PROPERTY_EXAMPLES=$${STOCKY_PROPERTY_EXAMPLES:-300} \
	  $(BIN)/python -m pytest -q --timeout 7200 tests/cloud/api_fuzz \
	  tests/edge/sync/test_confirmed_ops_reach_cloud.py tests/edge/sync/test_hostile_ops.py \
	  tests/edge/sync/test_convergence.py

lint: $(STAMP)
	$(BIN)/ruff format --check stocky tests bench
	$(BIN)/ruff check stocky tests bench
	$(BIN)/mypy stocky

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
