# borderpass: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: test test-fast demo lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make test: the whole suite, end-to-end runs included (what CI runs)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## make test-fast: unit and in-process tests only
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

## make demo: a hub and an edge per site on embedded SQLite, simulated traffic, live dashboards
demo: $(STAMP)
	$(BIN)/borderpass demo $(DEMO_ARGS)

## make lint: ruff everywhere, strict mypy on protocol/
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make bench: the benchmarks under bench/, each printing ratios against an in-run baseline
bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
