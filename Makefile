# Gongzhi 共治 — the two commands a newcomer needs: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test install migrate seed serve lint format bench messages clean

$(STAMP): requirements/base.txt requirements/dev.txt
	@$(PY) -c 'import sys; sys.exit("Gongzhi needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	@touch $@

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

seed: migrate
	PORT=$(PORT) $(BIN)/python manage.py seed_demo

## make demo: set everything up and serve the demo estate at http://127.0.0.1:$(PORT)
## (the demo logins are printed right before the server starts)
demo: seed
	@DEMO=1 PORT=$(PORT) BIN=$(BIN) sh bin/serve

## make serve: the web server (gunicorn) and the background worker (huey) together; Ctrl-C stops both
serve: $(STAMP)
	@PORT=$(PORT) BIN=$(BIN) sh bin/serve

## make test: the whole suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'bench/*'
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var staticfiles
