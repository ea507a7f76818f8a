# Real-time speech translation server.
#   make run   install everything into .venv, build the web app, serve http://localhost:5000
#   make test  install what the tests need (Debian packages, Python, npm) and run them all
#   make test-fast  only the unit tests (tests/unit: no model or browser, a throwaway PostgreSQL; seconds)
#   make bench install what the benchmarks need and run the speed sweep (~12 min on 2 cores)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# program:package pairs installed with apt-get when the program is missing
SYSTEM_PACKAGES := turnserver:coturn nginx:nginx chromium:chromium espeak-ng:espeak-ng promtool:prometheus iptables:iptables \
	docker-compose:docker-compose pg_lsclusters:postgresql \
	redis-server:redis-server kubectl:kubernetes-client

.PHONY: run test test-fast bench lint python-test system-packages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

## Install and start the product with its embedded defaults on port 5000.
run: $(VENV)/.installed frontend-build
	$(PY) -m rtc_server

## Everything CI runs: lint, type checks, web app unit tests, then the whole pytest suite.
test: system-packages $(VENV)/.installed-dev frontend-build lint frontend-test python-test

## The unit tests alone, for a quick check while editing: no server, model or browser.
test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -q -ra tests/unit

## Live latency, accuracy and cost with 1-8 speakers; writes bench/results/latest.{json,md,png}.
bench: $(VENV)/.installed-dev
	$(PY) -m bench.sweep

system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
		command -v "$${pair%%:*}" >/dev/null || [ -x "/usr/sbin/$${pair%%:*}" ] || missing="$$missing $${pair##*:}"; \
	done; \
	fc-list :lang=ko 2>/dev/null | grep -q . || missing="$$missing fonts-nanum"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check rtc_server tests bench
	$(VENV)/bin/ruff format --check rtc_server tests bench
	$(VENV)/bin/mypy

python-test: $(VENV)/.installed-dev
	$(PY) -m pytest -q -ra

clean: frontend-clean
	rm -rf $(VENV) test-output *.egg-info

# ---- Web app (frontend/) ------------------------------------------------------------------
# Each target installs what it needs from frontend/package-lock.json first.

FRONTEND := frontend
FRONTEND_DEPS := $(FRONTEND)/node_modules/.package-lock.json
FRONTEND_PYTHON ?= .venv/bin/python
CHROME_BIN ?= /usr/bin/chromium

.PHONY: frontend-install frontend-build frontend-test frontend-e2e frontend-serve frontend-clean \
	screenshots

# npm ci rewrites node_modules/.package-lock.json, so this reruns only when the lock file changes.
$(FRONTEND_DEPS): $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $@

## Install the exact locked dependencies (no browser downloads).
frontend-install: $(FRONTEND_DEPS)

## Production build into frontend/dist/captions/browser (served by the backend at /).
frontend-build: $(FRONTEND_DEPS)
	cd $(FRONTEND) && npx ng build

## Unit tests, headless in the system Chromium.
frontend-test: $(FRONTEND_DEPS)
	cd $(FRONTEND) && CHROME_BIN=$(CHROME_BIN) npx ng test --watch=false

## Two real browsers against the real backend and a local fake OpenAI server.
frontend-e2e: frontend-build
	$(FRONTEND_PYTHON) -m pytest tests/e2e -v

## Regenerate docs/screenshots/ from a real backend and real browsers (about a minute).
# Korean text needs a Korean font (fonts-nanum, from system-packages), or shows as boxes.
screenshots: system-packages frontend-build
	$(FRONTEND_PYTHON) -m tests.e2e.screenshots

## Dev server on http://127.0.0.1:4200, proxying /ws, /api and /health to a backend on :5000.
frontend-serve: $(FRONTEND_DEPS)
	cd $(FRONTEND) && npx ng serve

frontend-clean:
	rm -rf $(FRONTEND)/dist $(FRONTEND)/.angular $(FRONTEND)/node_modules
