# LeadHeat: `make run` serves the app, `make test` runs every test. Both install what is missing:
# running needs only the app's own dependencies; the tests add the `dev` extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
export LITESTAR_APP := app.main:create_app

.PHONY: install install-dev run migrate demo rescore browser lint test test-fast screenshots translations clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

migrate: install
	$(BIN)/litestar database upgrade --no-prompt

demo: migrate
	$(BIN)/litestar leadheat demo --port $(PORT)

run: demo
	SECURE_COOKIES=false WEBHOOK_ALLOW_PRIVATE=1 $(BIN)/litestar run --host 127.0.0.1 --port $(PORT)

rescore: install
	$(BIN)/litestar leadheat rescore

# Browser tests drive Debian's Chromium (never a downloaded browser); the emoji font draws the badges.
browser:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi "color emoji" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji)

lint: install-dev
	$(BIN)/ruff check app tests bench

# Two workers (the machine's cores); each gets its own SQLite files and PostgreSQL database.
test: lint browser
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-fast: install-dev
	$(BIN)/python -m pytest -x -q -m "not slow" $(PYTEST_ARGS)

screenshots: install-dev browser
	$(BIN)/python -m tests.e2e.screenshots

# The bot's texts: extract the strings from the code, update every catalog, compile them.
# Translate the new or changed entries in app/bot/locales/*/LC_MESSAGES/messages.po, then run it again.
LOCALES := app/bot/locales
translations: install-dev
	$(BIN)/pybabel extract --no-location --sort-output -k N_ --project=LeadHeat -o $(LOCALES)/messages.pot app/bot
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-pot-creation-date -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages
	$(BIN)/pybabel compile --statistics -d $(LOCALES) -D messages

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
