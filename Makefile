# Two entry points for a fresh Debian/Ubuntu machine: `make run` and `make test`.
# Everything else here is what they are made of.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
GOVUK := node_modules/govuk-frontend/dist/govuk
# Debian packages: the libraries WeasyPrint needs and fonts for names in any script a family may
# write (Latin, Cyrillic and Greek; Arabic, Bengali, Devanagari, Hebrew and more from Noto; Chinese,
# Japanese and Korean from Droid's fallback), then what the tests drive (Debian's chromium, pdftotext)
# and Java for the Nu HTML Checker (npm's vnu-jar), which checks every page the browser tests saw.
# Python's venv module and Node/npm (for the GOV.UK Frontend build) are added only when the machine
# lacks them, so an existing toolchain is left alone.
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	fonts-liberation fonts-dejavu-core fonts-noto-core fonts-droid-fallback \
	$(shell $(PYTHON) -c 'import ensurepip' 2>/dev/null || echo python3-venv) \
	$(shell command -v npm >/dev/null || echo nodejs npm)
TEST_DEBS := chromium poppler-utils openjdk-17-jre-headless
# The whole suite runs on every core at once (pytest-xdist: one worker process per core, each with
# its own database; worksteal evens out the few long browser tests), the benchmarks among the rest
# at their quick sizes, their figures in the summary as usual. `make bench` runs the benchmarks
# alone, in one process and at their full sizes: those are the figures to quote.
# pytest exits 5 when a run selects no tests: not a failure.
PYTEST := PORTAL_ENV=test $(BIN)/pytest
PARALLEL := -n auto --dist worksteal
NO_TESTS_IS_FINE := || [ $$? -eq 5 ]

.PHONY: run test lint bench debs test-debs assets migrate demo clean

run: $(BIN)/.installed assets migrate demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: $(BIN)/.installed-dev test-debs assets
	$(BIN)/ruff check .
	$(PYTEST) $(PARALLEL) $(NO_TESTS_IS_FINE)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .

bench: $(BIN)/.installed-dev test-debs assets
	BENCHMARK_SIZES=full $(PYTEST) -p no:xdist tests/benchmarks -m benchmark -s $(NO_TESTS_IS_FINE)

# apt is asked only for what is missing, so repeated runs stay quick and need no network.
debs:
	@missing=$$(for p in $(RUN_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

test-debs: debs
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BIN)/.installed: requirements.txt | debs
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json | debs
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# GOV.UK Frontend from npm, compiled with the service's settings into static/ (served at /assets).
assets: static/application.css static/govuk-frontend.min.js static/images/favicon.ico

static/application.css: assets-src/application.scss node_modules/.installed
	npx sass --pkg-importer=node --no-source-map --style=compressed $< $@

static/govuk-frontend.min.js: node_modules/.installed
	cp $(GOVUK)/govuk-frontend.min.js $@

static/images/favicon.ico: node_modules/.installed
	mkdir -p static/images
	cp $(GOVUK)/assets/images/favicon.ico $(GOVUK)/assets/images/favicon.svg static/images/

migrate: $(BIN)/.installed
	$(FLASK) db upgrade

demo: $(BIN)/.installed
	@$(FLASK) demo-account

clean:
	rm -rf $(VENV) node_modules static/application.css static/govuk-frontend.min.js static/images
