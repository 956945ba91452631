# cesdk task runner: `make help` lists the recipes.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export UV_LINK_MODE ?= copy
RUN := $(UV) run --frozen
DEBIAN_PACKAGES := redis-server rabbitmq-server mosquitto

.PHONY: help uv sync system-deps quickstart test check lint format typecheck imports docs bench conformance reference protos clean

help: ## List the recipes
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

uv: ## Install uv if it is missing
	@bash scripts/install-uv.sh

sync: uv ## Install the workspace with every extra and dev group
	$(UV) sync --frozen --all-packages --all-extras --all-groups

system-deps: ## Install the Debian packages the tests need (apt-get)
	@# RUNLEVEL=1: the packages' own services (redis, rabbitmq, mosquitto) are not started;
	@# the tests start their own on free loopback ports.
	@if [ -n "$(DEBIAN_PACKAGES)" ]; then \
	  missing=""; for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO env RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  fi; \
	fi

quickstart: sync ## Run the main job on the embedded default (no external service)
	$(RUN) python examples/quickstart.py

test: sync system-deps ## Install what the tests need and run the whole suite
	$(RUN) pytest -n 2 -q
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict --quiet --site-dir .site

check: sync lint typecheck imports ## Lint, format check, mypy --strict, import contract

lint: ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: ## Reformat the code with ruff
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: ## mypy --strict on src/ and adapters/*/src
	$(RUN) mypy

imports: ## The import-layer contract (core imports no adapter, no network client)
	$(RUN) lint-imports

docs: sync ## Build the documentation site into .site/
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict --site-dir .site

bench: sync ## Benchmarks against the official SDK and the raw clients
	$(RUN) python bench/codecs.py
	$(RUN) python bench/cesql.py
	$(RUN) python bench/pipeline.py
	$(RUN) python bench/http.py
	$(RUN) python bench/brokers.py
	$(RUN) python bench/notify.py
	$(RUN) python bench/kubernetes.py

conformance: sync ## Regenerate docs/conformance.md (cesdk and the official SDK)
	$(RUN) python -m cesdk_spec_tests.report docs/conformance.md

reference: sync ## Regenerate docs/yaml-reference.md from the YAML schema
	$(RUN) python scripts/gen_yaml_reference.py

PB_DIR := src/cesdk/formats/_pb

protos: ## Regenerate the checked-in Protobuf code from the shipped cloudevents.proto
	$(RUN) python -m grpc_tools.protoc -I $(PB_DIR) --python_out=$(PB_DIR) --pyi_out=$(PB_DIR) $(PB_DIR)/cloudevents.proto

clean: ## Remove build output and caches
	rm -rf .site .pytest_cache .mypy_cache .ruff_cache .hypothesis dist
