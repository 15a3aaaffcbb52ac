# MAPPA Portal: the one entry point. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEV := DEBUG=true

.PHONY: help install run test coverage lint format bench load lock clean

help:
	@echo "make run    install, migrate, load the demo data and serve http://127.0.0.1:8000"
	@echo "make test   install and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make coverage  the whole suite under coverage, and the figure (docs/testing.md)"
	@echo "make lint   ruff check, ruff format --check, mypy and a check for missing migrations"
	@echo "make bench  the exports and bulk import benchmarks, 42 areas x 20 years (needs PostgreSQL)"

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/application.css: node_modules/.installed $(wildcard static/scss/*.scss)
	npm run --silent build

install: $(BIN)/.installed static/build/application.css

run: install
	$(DEV) $(BIN)/python manage.py migrate --no-input
	$(DEV) $(BIN)/python manage.py load_demo
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest

# The suite under coverage (branches too; about twice as slow, so `make test` stays without).
# `coverage report -m` afterwards lists the lines not run.
coverage: install
	$(BIN)/pytest --cov --cov-report=term:skip-covered

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV) $(BIN)/mypy
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

# Needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/mappa_portal make bench
# Both run, so that each reports even when the other fails; the target fails if either does.
bench: install
	$(BIN)/python benchmarks/exports.py; exports=$$?; \
	  $(BIN)/python benchmarks/imports.py && exit $$exports

# Needs PostgreSQL and wrk; LOAD_ARGS=--restart-postgres also restarts PostgreSQL mid-run (root).
load: install
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate requirements.txt (every package pinned) from requirements.in.
lock:
	rm -rf /tmp/mappa-lock && $(PYTHON) -m venv /tmp/mappa-lock
	/tmp/mappa-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Generated from requirements.in by 'make lock' (pip freeze). Every package pinned."; \
	  /tmp/mappa-lock/bin/pip freeze; } > requirements.txt

clean:
	rm -rf $(VENV) node_modules static/build var
