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

# dagster-dbt reads dbt's manifest when the definitions load: build it before anything imports them.
manifest: $(STAMP)
	cd $(DBT_DIR) && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .

# Browser checks use Debian's Chromium; install it where apt is available and it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium with apt-get: browser tests will be skipped"; \
	  else echo "apt-get not available: browser tests will be skipped"; fi; }

run: manifest
	$(BIN)/python -m pipelines refresh

test: manifest browser
	$(BIN)/ruff check pipelines tests
	$(BIN)/python -m pytest

dev: manifest
	mkdir -p data/dagster && touch data/dagster/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/data/dagster $(BIN)/dagster dev

# Speed goals as ratios (full vs unchanged refresh, vectorised vs looped bootstrap); never a timed test.
bench: manifest
	$(BIN)/python -m pipelines.benchmark

clean:
	rm -rf $(DBT_DIR)/target $(DBT_DIR)/logs
