# Two commands matter: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.10
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := .stamps

# config/defaults.env as `export NAME ?= value`: a variable set in the environment (or on the
# command line) wins over its default. Regenerated whenever defaults.env changes.
$(STAMP)/defaults.mk: config/defaults.env
	@mkdir -p $(STAMP)
	@sed -n 's/^\([A-Z_][A-Z0-9_]*\)=\(.*\)$$/export \1 ?= \2/p' $< > $@
include $(STAMP)/defaults.mk
export TF_CPP_MIN_LOG_LEVEL ?= 2
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

TRAINING_FILES := $(shell find data -name '*.yml' 2>/dev/null) $(wildcard nlu_components/*.py text_encoder/*.py) domain.yml config.yml
ACTION_FILES := $(shell find actions shop -name '*.py' 2>/dev/null)

.PHONY: help run test install db catalog-index model lint typecheck validate pytest rasa-test system-deps clean web-assets

help:
	@echo "make run   - install, seed, train if needed, start the bot and web apps"
	@echo "make test  - install what is missing, then run the whole test suite"

## Python environment: a 3.10 virtualenv with the locked dependencies.
$(STAMP)/venv: requirements.lock requirements-nodeps.txt
	@mkdir -p $(STAMP)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==24.0
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	@touch $@

## The storefront and the console: their own virtualenv on a maintained aiohttp (Rasa pins
## aiohttp<3.10; see docs/production.md, "Dependencies of the web apps"). The lock pins every
## package, so it is installed with --no-deps.
WEB_VENV := .venv-web
WEB_PY := $(WEB_VENV)/bin/python
$(STAMP)/venv-web: requirements-web.lock
	@mkdir -p $(STAMP)
	@test -x $(WEB_PY) || $(PYTHON) -m venv $(WEB_VENV)
	$(WEB_PY) -m pip install -q --upgrade pip==24.0
	$(WEB_PY) -m pip install -q --no-deps -r requirements-web.lock
	@touch $@

install: $(STAMP)/venv $(STAMP)/venv-web

## Order database: migrate to the newest schema, seed the demo shop if it is empty.
db: install
	@mkdir -p var
	$(PY) -m shop.db.migrate
	$(PY) -m shop.seed.demo --if-empty

## Catalog index (FAISS) and spaCy catalog pipeline: rebuilt only when the catalog changed.
catalog-index: db
	$(PY) -m catalog_index.build

## Rasa model: retrained only when training data, domain or config changed.
models/current.tar.gz: $(TRAINING_FILES) | install catalog-index
	$(RASA) train --fixed-model-name current --out models

model: models/current.tar.gz

## Front-end assets of the storefront's chat widget: npm packages from package-lock.json,
## reinstalled only when the lockfile changes, copied into web/static/vendor/ (not committed).
WEB_VENDOR := web/static/vendor
$(STAMP)/npm: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund
	@touch $@

$(WEB_VENDOR)/socket.io.min.js: $(STAMP)/npm
	@mkdir -p $(WEB_VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.min.js $@

web-assets: $(WEB_VENDOR)/socket.io.min.js

run: db catalog-index model web-assets
	@scripts/run.sh

## Debian packages the tests use: PostgreSQL, Redis and Chromium.
system-deps:
	@scripts/install-system-deps.sh

validate: install
	$(RASA) data validate --max-history 5

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy shop actions nlu_components text_encoder catalog_index channels console web ops harness

## Two pytest workers (one per core here). --dist loadgroup with tests/scheduling.py: the users of
## each shared assistant run on one worker (it starts once), any other file runs whole on one
## worker, the longest units go first. `make pytest TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2
pytest: install system-deps catalog-index model web-assets
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=30 tests

## Rasa's `rasa test core`, loading the model as the servers do (ops/rasa_cli.py).
rasa-test: model
	$(PY) -m ops.rasa_cli test core --stories tests/stories --model models/current.tar.gz \
		--fail-on-prediction-errors --out results/core

test: install system-deps validate lint typecheck model rasa-test pytest

## `make print-NAME`: the value a recipe sees for NAME (defaults.env unless the environment says otherwise).
print-%:
	@printf '%s\n' "$${$*}"

clean:
	rm -rf models results .stamps var/catalog_index $(WEB_VENDOR)/*.js
