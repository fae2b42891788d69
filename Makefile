# 揭榜 Jiebang — the README's commands. Everything installs itself into .venv.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Re-install only when the dependency list changes, so a second `make run` starts in seconds.
$(VENV)/.deps-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.deps-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,st]'
	touch $@ $(VENV)/.deps-run

run: $(VENV)/.deps-run
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/build_frontend.sh
	$(BIN)/jiebang serve --demo

test: $(VENV)/.deps-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/build_frontend.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run_tests.sh

lint: $(VENV)/.deps-test
	$(BIN)/ruff check service matching tests scripts migrations
	$(BIN)/mypy service matching

bench: $(VENV)/.deps-run
	$(BIN)/jiebang bench embed
	$(BIN)/jiebang bench retrieval --n 100000

eval: $(VENV)/.deps-run
	$(BIN)/jiebang eval --needs eval/needs.jsonl --capabilities eval/capabilities.jsonl --qrels eval/qrels.tsv
	$(BIN)/jiebang eval --needs eval/needs.jsonl --capabilities eval/capabilities.jsonl --qrels eval/qrels.tsv --reverse

clean:
	rm -rf $(VENV) var test-output .pytest_cache
