# The two commands of the README: `make demo` and `make test`. Both create .venv and install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The lock (scripts/lock.sh, `make lock`): every version installed is pinned, so a new
# release of a dependency cannot change what CI runs overnight.
LOCK   := constraints.txt
# Two workers: these machines have two cores; the session fixtures start one sandbox each.
PYTEST_ARGS ?= -n 2

.PHONY: demo test lint venv lock clean

venv: $(STAMP)

# setup.py and the C source: the native JSON scanner is compiled by the install.
$(STAMP): pyproject.toml setup.py $(LOCK) src/aws2bq/warehouses/duckdb/_json_scan.c
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "aws2bq needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip -c $(LOCK)
	$(BIN)/python -m pip install --quiet -e ".[dev]" -c $(LOCK) --build-constraint $(LOCK)
	@$(BIN)/python -c 'from aws2bq.warehouses.duckdb import arrow_scan as s; s.available() or print("note: the native JSON scanner was not built (no C compiler or Python headers?): DuckDB loads parse with pyarrow alone, the same tables with more CPU")'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/aws2bq demo

# The 20 slowest tests are listed at the end: the time budget is in pyproject.toml.
test: $(STAMP)
	@scripts/services.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS) --durations=20

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Refresh the lock after changing a dependency in pyproject.toml (needs the network).
lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
