# Pillars: `make run` serves the demo, `make test` runs every check. Both set everything up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PILLARS := $(VENV)/bin/pillars
HOST ?= 127.0.0.1
PORT ?= 8000
# Bytecode is cached outside the source tree (see bin/test), also when the shell says not to write it.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/.tools/pycache

.PHONY: help env run test lint types checks pytest pytest-postgres browser bench demo clean

help:
	@echo "make run    set up, migrate, load demo data once, serve on http://$(HOST):$(PORT) with a worker"
	@echo "make test   set up and run every check (lint, types, migrations, deploy check, tests)"
	@echo "make bench  benchmarks that print ratios"

env: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock bin/find-python bin/ensure-uv
	@python=$$(bin/find-python) && uv=$$(bin/ensure-uv) && \
	  "$$uv" sync --frozen --python "$$python" --quiet
	@touch $@

run: env
	@$(PILLARS) migrate --no-input -v 0
	@$(PILLARS) demo --if-empty
	@$(PILLARS) serve --host $(HOST) --port $(PORT)

demo: env
	@$(PILLARS) demo --if-empty

test: env
	@bin/test

bench: env
	@$(PY) -m bench

clean:
	rm -rf $(VENV) .tools var .pytest_cache .mypy_cache .ruff_cache
