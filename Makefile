# Sampark: two commands do all the set-up on a fresh machine with Python 3.11+.
#   make demo   runs the product on embedded defaults (SQLite, in-process Redis, local Twilio)
#   make test   runs the whole suite (ruff, mypy, pytest) against real PostgreSQL and Redis

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export TEST_DATABASE_URL TEST_REDIS_URL

.PHONY: demo test lint typecheck pytest bench bench-deps clean browser-deps screenshots

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) browser-deps
	$(BIN)/pytest

# The browser tests (tests/portal, marker "browser") drive Debian's Chromium, with the Noto
# fonts for Devanagari, Bengali and Nastaliq (else Hindi, Bengali and Urdu pages render as
# boxes in the screenshots); installing them needs root (as in CI); elsewhere run
# `sudo apt-get install -y chromium fonts-noto-core` once.
NOTO := /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf
browser-deps:
	@{ test -x /usr/bin/chromium && test -f $(NOTO); } || { [ "$$(id -u)" = 0 ] || { echo "browser-deps: chromium or fonts-noto-core is missing; run as root: apt-get install -y chromium fonts-noto-core" >&2; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >/dev/null; }

test: lint typecheck pytest

# Refresh docs/screenshots/ (the browser tests write there only when asked).
screenshots: $(STAMP) browser-deps
	SAMPARK_SCREENSHOTS=1 $(BIN)/pytest -q -m browser tests/portal tests/standin_phone

# make demo PORT=8090 TWILIO_PORT=8766: other ports for the web app and the local Twilio.
PORT ?= 5000
TWILIO_PORT ?= 8765
demo: $(STAMP)
	$(BIN)/python -m sampark.demo --port $(PORT) --twilio-port $(TWILIO_PORT)

# The benchmarks (bench/README.md; not part of `make test`): the IVR one drives load with wrk.
bench-deps: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] || { echo "bench-deps: wrk is missing; run as root: apt-get install -y wrk" >&2; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

bench: bench-deps
	$(BIN)/python bench/ivr_bench.py
	$(BIN)/python bench/workflow_bench.py
	$(BIN)/python bench/standin_bench.py

clean:
	rm -rf $(VENV) instance/*.db
