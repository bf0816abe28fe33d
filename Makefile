# Every target creates .venv when it is missing and installs what it needs,
# so `make demo` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA := data/tpch-sf0.1

.PHONY: demo test bench bench-sf10 clean

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

# The scale-10 run quoted in benchmarks/README.md: every table and the chart go to
# $(SF10_RESULTS) under fixed names (committed), each JSON beside the Markdown it
# printed. Hours on 2 CPUs; override e.g. `make bench-sf10 SF10_REPEAT=1`.
SF10 := data/tpch-sf10
SF10_RESULTS := benchmarks/results/sf10
SF10_ENGINES ?= kyudo,kyudo-sql,duckdb,polars,dask
SF10_REPEAT ?= 5
SF10_TIMEOUT ?= 600
SF10_MEMORY_LIMIT ?= 1GB

# tpch.json is the generator's manifest, written only once the dataset is complete.
$(SF10)/tpch.json: | $(VENV)/.installed-bench
	$(BIN)/python -m examples.make_tpch --scale 10 --out $(SF10) --parts 16

bench-sf10: $(VENV)/.installed-bench $(SF10)/tpch.json
	mkdir -p $(SF10_RESULTS)
	$(BIN)/python -m benchmarks.task_overhead > $(SF10_RESULTS)/task_overhead.txt
	cat $(SF10_RESULTS)/task_overhead.txt
	$(BIN)/python -m benchmarks.planning --data $(SF10) --markdown \
		--output $(SF10_RESULTS)/planning.json > $(SF10_RESULTS)/planning.md
	cat $(SF10_RESULTS)/planning.md
	$(BIN)/python -m benchmarks.scan --data $(SF10) --markdown --repeat $(SF10_REPEAT) \
		--output $(SF10_RESULTS)/scan.json > $(SF10_RESULTS)/scan.md
	cat $(SF10_RESULTS)/scan.md
	$(BIN)/python -m benchmarks.memory --data $(SF10) --markdown --timeout $(SF10_TIMEOUT) \
		--memory-limit $(SF10_MEMORY_LIMIT) \
		--output $(SF10_RESULTS)/memory.json > $(SF10_RESULTS)/memory.md
	cat $(SF10_RESULTS)/memory.md
	$(BIN)/python -m benchmarks.tpch --data $(SF10) --queries all --engines $(SF10_ENGINES) \
		--repeat $(SF10_REPEAT) --timeout $(SF10_TIMEOUT) --markdown \
		--output $(SF10_RESULTS)/tpch.json > $(SF10_RESULTS)/tpch.md
	cat $(SF10_RESULTS)/tpch.md
	$(BIN)/python -m benchmarks.chart $(SF10_RESULTS)/tpch.json --output $(SF10_RESULTS)/tpch.png

clean:
	rm -rf $(VENV) data
