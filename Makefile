# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCK := --generate-hashes --python-version 3.11 --universal --quiet

.PHONY: run test bench lock clean

# Exactly the versions in the lock file, each checked against its hash; then our own package,
# built with the locked setuptools (no download at build time).
$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## Resolve the lock files from pyproject.toml, keeping the pinned versions where they still
## fit; `make lock UPGRADE=--upgrade` moves everything to the newest versions its ranges allow.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK) $(UPGRADE) -o requirements-dev.txt
	$(BIN)/uv pip compile pyproject.toml $(LOCK) $(UPGRADE) -o requirements.txt

## Install, migrate, load the demo data (once; every run prints its accounts) and serve on
## SQLite under ./var/. `make run PORT=8080 HOST=0.0.0.0` listens elsewhere (so do the
## variables set in the environment); BASE_URL then follows unless it is set too.
export HOST PORT
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
	$(BIN)/python bench/brief_pdf.py
	$(BIN)/python bench/campaigns.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
