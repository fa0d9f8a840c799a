# The two promises: `make run` serves the site with demo data, `make test` passes the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
# Seconds of load for `make loadtest` (DURATION=60 for a short run).
DURATION ?= 300
PYTEST_ARGS ?=
PO := $(wildcard kb/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test test-fast screenshots check-articles test-postgres security install install-test translations browser bench bench-engine bench-insights loadtest lint typecheck clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(BIN)/pip install --quiet -r requirements-test.lock
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

translations: $(MO)

run: install
	$(BIN)/kb init
	$(BIN)/kb serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; \
	fi

# Every shopper page, assistant step and staff screen at 390 and 1366 px, in English and French,
# with JavaScript on and off, into screenshots/<lang>/<width>/<js|nojs>/; fails on any browser
# console error or page error.
screenshots: install-test browser
	$(BIN)/python -m tests.browser.screenshots --out screenshots

# Every policy example of every article, run against the policy engine.
check-articles: install
	$(BIN)/kb articles check --path articles

# Everything: the app-level tests on two processes (each with its own template database), then
# the browser and server tests on two processes too (each with its own chromium and site data,
# servers on free ports). Two runs, not one: a running Playwright keeps an event loop in its
# process, which app-level tests should not meet. worksteal: the longest tests come last.
test: install-test browser
	$(BIN)/pytest -n 2 -m "not browser and not server" $(PYTEST_ARGS)
	$(BIN)/pytest -n 2 --dist worksteal -m "browser or server" $(PYTEST_ARGS)

# The loop to run while working: no browser, no server, nothing slow.
test-fast: install-test
	$(BIN)/pytest -n 2 -q -m "not browser and not server and not slow" $(PYTEST_ARGS)

# The suite against PostgreSQL (KB_TEST_DATABASE_URL=postgresql://user:pass@host/db); the
# browser tests run on SQLite only. Each xdist worker has a database of its own, the server
# tests' included; loadfile keeps the two-node tests on one worker, with one cluster.
test-postgres: install-test
	@test -n "$(KB_TEST_DATABASE_URL)" || { echo "set KB_TEST_DATABASE_URL"; exit 1; }
	KB_TEST_DATABASE_URL="$(KB_TEST_DATABASE_URL)" $(BIN)/pytest -n 2 -m "not browser and not server" $(PYTEST_ARGS)
	KB_TEST_DATABASE_URL="$(KB_TEST_DATABASE_URL)" $(BIN)/pytest -n 2 --dist loadfile -m "server and not browser" $(PYTEST_ARGS)

security: install-test
	$(BIN)/bandit -q -c pyproject.toml -r kb

# Style (ruff) and types (mypy, configured in pyproject.toml to check kb/).
lint: install-test
	$(BIN)/ruff check kb tests bench
	$(BIN)/mypy

typecheck: install-test
	$(BIN)/mypy

# Over HTTP as `make run` serves: the search API and a cached article page against a bare
# Flask + Jinja page, side by side (bench-engine: the engine alone, against SQLite FTS5).
bench: install-test
	$(BIN)/python -m bench.http_bench

bench-engine: install-test
	$(BIN)/python -m bench.search_bench

# The insights reports at volume on PostgreSQL: SCALE 1.0 is 500,000 orders, 1,000,000 tickets
# and 10,000,000 searches (0.01 tries it in a minute). Works in the schema insights_bench of
# DATABASE_URL, dropped and made again each run.
SCALE ?= 1.0
bench-insights: install-test
	@test -n "$(DATABASE_URL)" || { echo "set DATABASE_URL=postgresql://user:pass@host/db"; exit 1; }
	$(BIN)/python -m bench.insights_bench --database-url "$(DATABASE_URL)" --scale $(SCALE)

# On SQLite, or on PostgreSQL when KB_DATABASE_URL names one (in a scratch database beside it).
loadtest: install-test
	$(BIN)/python -m bench.loadtest --duration $(DURATION)

clean:
	rm -rf $(VENV) .pytest_cache search_index/* build *.egg-info

# Extract the strings of the code and templates and merge them into the catalogues.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o kb/translations/messages.pot .
	$(BIN)/pybabel update -i kb/translations/messages.pot -d kb/translations --no-fuzzy-matching
