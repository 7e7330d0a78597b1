# Two entry points: `make run` (build the warehouse and the reports) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DBT_DIR := dbt_like_models

.PHONY: run test install manifest lint browser dev clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# dbt's manifest, and the marts' specs dagster-dbt translates from it (target/dagster_specs.json), which the
# definitions load instead of importing dagster-dbt and dbt (pipelines/defs/dbt_specs.py; a stale file is rebuilt,
# slowly, at load). Runs parse again in-process, partially from target/partial_parse.msgpack, which matches only the
# profile's default path.
manifest: $(STAMP)
	cd $(DBT_DIR) && env -u SCALING_WORKING_WAREHOUSE ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	$(BIN)/python -m pipelines.defs.dbt_specs

# Screenshots and browser tests use Debian's Chromium: installed here where apt is available (as root, or through
# password-less sudo) and it is missing. Quiet when it cannot be had: the run's screenshots step says so, once
# (pytest gives it as the skip reason), and the run still exits 0.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  SUDO=; [ "$$(id -u)" = 0 ] || { sudo -n true 2>/dev/null && SUDO="sudo -n"; } || SUDO=none; \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$SUDO" != none ]; then \
	    { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	      >/dev/null 2>&1 || true; \
	  fi; }

run: manifest browser
	$(BIN)/python -m pipelines refresh

# Two workers (the machine's two cores); a module's tests stay together and in order on one worker (--dist loadscope),
# and modules go out in the order tests/conftest.py gives them (MODULE_ORDER), not by their number of tests.
test: manifest browser
	$(BIN)/ruff check pipelines tests
	$(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder

dev: manifest
	mkdir -p data/dagster && { [ -s data/dagster/dagster.yaml ] || cp pipelines/run/dagster.yaml data/dagster/dagster.yaml; }
	DAGSTER_HOME=$(CURDIR)/data/dagster $(BIN)/dagster dev

# What users wait for, with their goals (full build, unchanged refresh, one changed source, one chart module edited,
# definitions load, x10 data, make test); never a timed test. Builds run in a copy of the code; reads the mirror
# directory from SCALING_SOURCES_MIRROR (copied, then edited).
bench: manifest browser
	$(BIN)/python -m pipelines.run.speed

clean:
	rm -rf $(DBT_DIR)/target $(DBT_DIR)/logs
