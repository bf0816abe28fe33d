# Every target creates .venv when it is missing and installs what it needs,
# so `make demo` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA := data/tpch-sf0.1

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo needs what the tests need (tpchgen-cli makes its dataset), so both
# share one install.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

$(DATA)/.done: $(VENV)/.installed-test
	$(BIN)/python -m examples.make_tpch --scale 0.1 --out $(DATA)
	touch $@

demo: $(DATA)/.done
	$(BIN)/python -m examples.etl_pipeline --data $(DATA)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-bench $(DATA)/.done
	$(BIN)/python -m benchmarks.task_overhead
	$(BIN)/python -m benchmarks.tpch --data $(DATA)

clean:
	rm -rf $(VENV) data
