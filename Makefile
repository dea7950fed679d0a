# Two entry points: `make demo` and `make test`. Both create .venv with a Python >= 3.12 first.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-slow lint bench notebooks docs clean

$(STAMP): pyproject.toml
	@py=$$(sh .ci/find-python) && echo "using $$py" && $$py -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	@touch $@

demo: $(STAMP)
	$(BIN)/bayesgeo demo --out demo-output

test: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/pytest -q

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/denoise.py

docs: $(STAMP)
	$(BIN)/sphinx-build -W -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

clean:
	rm -rf $(VENV) demo-output
