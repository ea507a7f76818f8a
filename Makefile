# ---- Web app (frontend/) ------------------------------------------------------------------
# Each target installs what it needs from frontend/package-lock.json first.

FRONTEND := frontend
FRONTEND_DEPS := $(FRONTEND)/node_modules/.package-lock.json
FRONTEND_PYTHON ?= .venv/bin/python
CHROME_BIN ?= /usr/bin/chromium

.PHONY: frontend-install frontend-build frontend-test frontend-e2e frontend-serve frontend-clean

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

## Dev server on http://127.0.0.1:4200, proxying /ws, /api and /health to a backend on :5000.
frontend-serve: $(FRONTEND_DEPS)
	cd $(FRONTEND) && npx ng serve

frontend-clean:
	rm -rf $(FRONTEND)/dist $(FRONTEND)/.angular $(FRONTEND)/node_modules
