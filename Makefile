# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: schema run test install deps-run deps-test messages lint format schema check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

deps-run:
	@scripts/system-deps run

deps-test:
	@scripts/system-deps test

## make run: SQLite, tasks in-process, demo data, http://127.0.0.1:8000
run: deps-run install
	@mkdir -p var
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: real PostgreSQL, Redis, Celery worker and Chromium; exits with pytest's status
test: deps-test install
	DEBUG=true scripts/with-services $(BIN)/python -m pytest $(PYTEST_ARGS)

messages: install
	scripts/messages

## make schema: the OpenAPI file checked by the tests against the running code.
## The database engine sets integer bounds in the schema: name PostgreSQL (production and
## tests); nothing connects to it.
schema: install
	DEBUG=true DATABASE_URL=postgres://schema@127.0.0.1:5432/schema $(BIN)/python manage.py spectacular --lang en --file docs/openapi.yaml --validate --fail-on-warn

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: install
	DEBUG=false SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=cqp.example.org SITE_URL=https://cqp.example.org CACHE_URL=redis://127.0.0.1:6379/1 \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var/*.sqlite3 var/staticfiles
