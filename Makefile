# Syndesk — `make demo` runs it, `make test` checks it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6.1 needs Python 3.12+: take the first suitable interpreter on the PATH (pyenv shims
# included, see .python-version), then any pyenv-installed one.
PYTHON ?= $(shell \
  for c in python3.14 python3.13 python3.12 python3; do \
    if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$c; exit 0; fi; \
  done; \
  if command -v pyenv >/dev/null 2>&1; then \
    for v in $$(pyenv versions --bare 2>/dev/null | sort -rV); do \
      p="$$(pyenv root)/versions/$$v/bin/python3"; \
      if [ -x "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; exit 0; fi; \
    done; \
  fi)

.PHONY: help install demo test lint suite messages messages-extract lock run worker clean

help:
	@echo "make demo    install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test    install, ruff, makemigrations --check and the whole test suite"
	@echo "make install create .venv and install the pinned dependencies (idempotent)"

$(STAMP): requirements.lock pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is required (python3.13 / python3.12 not found)" >&2; exit 1; fi
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --quiet --upgrade pip
	$(PY) -m pip install --quiet --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) messages
	@mkdir -p var

# Translation catalogues are compiled at build time (pure Python, no gettext needed).
messages: $(STAMP)
	@$(VENV)/bin/pybabel -q compile -d syndesk/locale -D django

# Update the English catalogue from the French source strings (needs GNU gettext), and the
# French one, which holds only the plural messages (French takes the singular for 0).
messages-extract: $(STAMP)
	$(PY) manage.py makemessages -l en --no-location --no-obsolete \
	  -i ".venv/*" -i "var/*" -i "bench/*" -i "scripts/*"
	$(PY) scripts/french_plurals.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

suite: install
	@mkdir -p var
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint suite

demo: install
	@mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@$(PY) manage.py demo_logins
	@echo "Task worker started in the background (manage.py db_worker); Ctrl-C stops both."
	@trap 'kill 0' EXIT; $(PY) manage.py db_worker --no-reload >var/worker.log 2>&1 & \
	  DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

run: install
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	$(PY) manage.py db_worker --no-reload

# Regenerate the lock file after editing pyproject.toml (needs network access to PyPI).
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 \
	  --no-header -o requirements.lock

clean:
	rm -rf $(VENV) var/static
