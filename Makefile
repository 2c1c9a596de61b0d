# Trellis: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Local runs use the embedded defaults unless the caller sets these.
export DEBUG ?= true
export SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run setup test test-fast lint typecheck format lock vendor demo migrate clean browser

$(BIN)/.installed: requirements/dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

setup: $(BIN)/.installed
	@mkdir -p var/static

migrate: setup
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py demo_load

# Persistent database connections: reopening SQLite for every socket frame (and
# checkpointing its log at each close) costs more than a message's own work; see the
# messaging benchmark in the README.
run: demo
	CONN_MAX_AGE=$${CONN_MAX_AGE:-600} $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests; never a downloaded browser build.
browser:
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || { \
	  echo "Installing Chromium from Debian's packages..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null; }

test: setup browser
	DEBUG=false bash scripts/test.sh

test-fast: setup
	DEBUG=false $(BIN)/pytest -m "not browser" -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	DEBUG=false $(BIN)/mypy trellis config

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: setup
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/base.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements/dev.lock pyproject.toml

vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) var
