# Two entry points (see README): `make demo` and `make test`. Both set up .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" $(BIN)/pip install -q -e ".[local,small,test]"
	touch $(STAMP)

setup: $(STAMP)

# The main job, offline: a whole report drafted from the bundled corpus and the example figures.
demo: $(STAMP)
	DRAFTER_HOME=$${DRAFTER_HOME:-$(CURDIR)/.drafter/demo} $(BIN)/drafter write --figures corpus/figures-example.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf .drafter .pytest_cache
