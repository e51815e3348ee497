# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Install, migrate, load the demo data (once) and serve on SQLite under ./var/.
run: $(STAMP)
	scripts/install-system-packages
	$(BIN)/roundtable db upgrade
	$(BIN)/roundtable demo
	$(BIN)/roundtable serve

## Lint, type-check and run the whole suite on SQLite and PostgreSQL (and in Chromium).
test: $(STAMP)
	scripts/install-system-packages --with-browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/draft_page.py
	$(BIN)/python bench/comment_post.py
	$(BIN)/python bench/search_archive.py --paragraphs 20000 --briefs 1000

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
