# The participation hub. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help setup test-setup run test security lint migrate clean bench faults

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml verifier/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ./verifier
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The certified OpenID peers the identity tests run against (oidc-provider, openid-client).
PEERS_STAMP := tests/peers/node_modules/.package-lock.json
$(PEERS_STAMP): tests/peers/package-lock.json
	npm ci --prefix tests/peers --no-audit --no-fund

setup: $(STAMP) ## create the virtualenv and install the hub (done by run and test)

# axe-core for the accessibility checks of the browser tests.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund

test-setup: setup $(PEERS_STAMP) $(AXE)

migrate: setup ## migrate every service's database
	$(BIN)/hub db upgrade

run: setup ## start the whole hub on its defaults (Ctrl-C stops it)
	$(BIN)/hub broker ensure
	$(BIN)/hub db upgrade
	$(BIN)/hub up

test: test-setup ## run the whole test suite against real RabbitMQ and PostgreSQL
	bash scripts/ensure_system_packages.sh
	$(BIN)/python scripts/check_services.py
	$(BIN)/pytest $(PYTEST_ARGS)
	@echo "The service tests once more on nameko's own container and web server (HUB_RUNTIME=stock):"
	HUB_RUNTIME=stock $(BIN)/pytest -q tests/service

security: test-setup ## the hub's own attack tests alone (docs/security.md); make test runs them too
	bash scripts/ensure_system_packages.sh
	$(BIN)/python scripts/check_services.py
	$(BIN)/pytest -m security $(PYTEST_ARGS)

BENCH_ARGS ?=
bench: setup ## measure the hub (BENCH_ARGS=--quick for a smoke run); report in var/bench/report.json
	$(BIN)/python -m bench $(BENCH_ARGS)

faults: setup ## fault injection: kill -9 each process, restart broker and database; print figures
	$(BIN)/python -m faults

lint: setup ## ruff, mypy, the layering contracts (import-linter) and hadolint
	$(BIN)/ruff check hub services shared tests bench faults verifier
	$(BIN)/ruff format --check hub services shared tests bench faults verifier
	$(BIN)/mypy hub services shared bench
	$(BIN)/mypy verifier/hub_verify  # apart: given as a path beside services, mypy loses its submodules
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var
