# Gerai Tangerang Gemilang storefront. `make run` to try it, `make test` before every commit.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# pytest-xdist processes per leg (each PostgreSQL worker gets its own database, test_gw0, …);
# PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run worker serve test bench test-sqlite test-postgres lint format translations translations-update migrate-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

## Compile the Indonesian and English message catalogues (.po -> .mo).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy --statistics -d storefront/translations

## After changing user-visible text: extract strings and merge them into the .po files.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o storefront/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i storefront/translations/messages.pot -d storefront/translations

## Create .venv, install, migrate, load demo data the first time, serve on 127.0.0.1:5000 with
## a worker thread inside the server (mail, WhatsApp, scheduled jobs; docs/operations.md).
run: $(VENV)/.installed translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --first-time
	@echo "Serving the store on http://127.0.0.1:5000 with its worker  (Ctrl+C to stop)"
	WORKER_EMBEDDED=1 $(BIN)/flask run --host 127.0.0.1 --port 5000 --reload

## The background worker on its own, as in production (`flask worker`; Redis with REDIS_URL).
worker: $(VENV)/.installed translations
	$(BIN)/flask worker

## Serve with gunicorn and gunicorn.conf.py, as in production.
serve: $(VENV)/.installed translations
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## Ruff, then bandit's security checks on the app (medium and high findings fail; pyproject.toml).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml -r storefront -ll -q

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: $(VENV)/.installed-dev translations
	env -u TEST_DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## Lint, then the whole suite on SQLite; with CI=true also on PostgreSQL, both legs at once
## (one per core: the CI budget is 15 minutes), each leg's output printed when it ends.
test: lint
	@if [ "$$CI" = "true" ]; then \
		$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres; \
	else \
		$(MAKE) --no-print-directory test-sqlite; \
	fi

## Benchmarks that print figures (see docs/performance.md). BENCH_ARGS=--movements 1000000 for the
## full ledger run; CATALOG_ARGS="--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench"
## for the catalogue on PostgreSQL (needs wrk: apt-get install -y wrk), COLD_ARGS likewise with
## …/bench_100000 for the pages rendered afresh. The catalogue benchmarks (anonymous, then signed
## in, then rendered afresh at 100,000 products) exit 1 while a target is missed.
## The mixed load test (bench/load.py) needs PostgreSQL and Redis, so it is opt-in:
## `make bench LOAD=1` (LOAD_ARGS="--duration 60 --database-url postgresql+psycopg://…/bench_load").
bench: $(VENV)/.installed-dev translations
	$(BIN)/python bench/ledger.py $${BENCH_ARGS:---movements 100000}
	$(BIN)/python bench/settlement.py $${SETTLEMENT_ARGS:---movements 100000 --batches 5000}
	$(BIN)/python bench/catalog.py $(CATALOG_ARGS)
	$(BIN)/python bench/catalog.py --keep --signed-in $(CATALOG_ARGS)
	$(BIN)/python bench/cold_pages.py $(COLD_ARGS)
	@if [ -n "$(LOAD)" ]; then \
		$(BIN)/python bench/load.py $(LOAD_ARGS); \
	else \
		echo "bench/load.py skipped: make bench LOAD=1 runs it (needs PostgreSQL and Redis)"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
	find . -name '*.mo' -delete
