# Engage - developer and CI entry points.
#
#   make install       venv + Python deps, npm deps, vendored assets, compiled translations
#   make run           install, migrate, load demo data, serve on http://127.0.0.1:5000
#   make test          install, then pytest (extra arguments: PYTEST_ARGS='-k foo -x')
#   make lint          ruff + mypy
#   make translations  extract, update (cy) and compile message catalogues
#   make browsers      Debian's Chromium for the browser tests
#   make bench         run every bench/*.py
#
# Reruns are quick: pip only runs when pyproject.toml is newer than a stamp in
# the venv, npm only when package.json / package-lock.json is newer than a
# stamp in node_modules.

SHELL := /bin/bash

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

PIP_STAMP := $(VENV)/.engage-pip-stamp
NPM_STAMP := node_modules/.engage-npm-stamp
TRANSLATIONS := engage/translations
POT := $(TRANSLATIONS)/messages.pot
LOCALES ?= cy
PYTEST_ARGS ?=
FLASK := $(BIN)/flask --app engage

# Never prompt, never nag; CI has no stdin.
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
export DEBIAN_FRONTEND := noninteractive
PIP_FLAGS := $(if $(CI),--progress-bar off,)
NPM_FLAGS := --no-audit --no-fund --loglevel=error

# apt-get needs root; use sudo when not root (developer laptops).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help install python-deps node-deps vendor compile-translations migrate demo run \
	test lint translations browsers bench

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# --------------------------------------------------------------------------
# install

install: python-deps node-deps vendor compile-translations

python-deps: $(PIP_STAMP)

# Created only when missing (no prerequisites, so an existing venv is reused).
$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --quiet --upgrade pip

$(PIP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev]'
	@touch $@

node-deps: $(NPM_STAMP)

# `npm ci` wipes node_modules (and the stamp in it) before installing.
$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 and npm" >&2; exit 1; }
	npm ci $(NPM_FLAGS)
	@touch $@

vendor: node-deps
	@$(PY) scripts/vendor_assets.py --quiet

# Compile .po -> .mo, only if the app has catalogues yet.
compile-translations: python-deps
	@if [ -d $(TRANSLATIONS) ] && [ -n "$$(find $(TRANSLATIONS) -name '*.po' -print -quit)" ]; then \
		echo "$(BIN)/pybabel compile -d $(TRANSLATIONS) -f"; \
		$(BIN)/pybabel -q compile -d $(TRANSLATIONS) -f; \
	else \
		echo "no $(TRANSLATIONS)/*/LC_MESSAGES/*.po yet: nothing to compile"; \
	fi

# --------------------------------------------------------------------------
# database and running

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

# Plain http on 127.0.0.1, so cookies cannot be Secure-only and HSTS is off.
run: install migrate demo
	ENGAGE_ENV=$${ENGAGE_ENV:-development} $(FLASK) run --host 127.0.0.1 --port 5000

# --------------------------------------------------------------------------
# quality

# Exit code is pytest's; "no tests collected" (5) fails loudly.
test: install
	@rc=0; set -x; $(BIN)/pytest $(PYTEST_ARGS) || rc=$$?; { set +x; } 2>/dev/null; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5): failing" >&2; fi; \
	exit $$rc

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/mypy

# --------------------------------------------------------------------------
# translations

translations: python-deps
	mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--ignore-dirs='.* ._ __pycache__ node_modules static instance build dist test-artifacts' \
		--add-comments=TRANSLATORS: --sort-by-file --project=Engage \
		-o $(POT) .
	@set -e; for l in $(LOCALES); do \
		if [ -f $(TRANSLATIONS)/$$l/LC_MESSAGES/messages.po ]; then \
			echo "$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) -l $$l --no-fuzzy-matching"; \
			$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) -l $$l --no-fuzzy-matching; \
		else \
			echo "$(BIN)/pybabel init -i $(POT) -d $(TRANSLATIONS) -l $$l"; \
			$(BIN)/pybabel init -i $(POT) -d $(TRANSLATIONS) -l $$l; \
		fi; \
	done
	$(BIN)/pybabel compile -d $(TRANSLATIONS) -f --statistics

# --------------------------------------------------------------------------
# browsers and benchmarks

browsers:
	@if [ -x /usr/bin/chromium ]; then \
		echo "chromium already installed: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	else \
		set -e; \
		if [ "$${ENGAGE_APT_UPDATED:-}" != 1 ]; then $(SUDO) apt-get update -q; fi; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

bench: install
	@set -e; found=0; for f in bench/*.py; do \
		case "$$f" in bench/_*) continue;; esac; [ -f "$$f" ] || continue; found=1; \
		echo "==> $(BIN)/python $$f"; $(BIN)/python "$$f"; \
	done; \
	if [ $$found = 0 ]; then echo "no bench/*.py to run"; fi
