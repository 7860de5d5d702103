# The two commands a user needs: `make demo` and `make test`. Each installs what is missing first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=

.PHONY: test demo lint types pytest services stop-services bench clean

test: lint types pytest

demo: $(STAMP)
	$(BIN)/callwarden demo $(ARGS)

$(STAMP): pyproject.toml scripts/ensure-venv.sh
	scripts/ensure-venv.sh $(PY) $(VENV)
	touch $(STAMP)

services: $(STAMP)
	scripts/ensure-services.sh

stop-services:
	scripts/stop-services.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

pytest: services
	. var/services.env && $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: services
	. var/services.env && $(BIN)/python -m bench $(ARGS)

clean: stop-services
	rm -rf var $(VENV) .mypy_cache .ruff_cache .pytest_cache
