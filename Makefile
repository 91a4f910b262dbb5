PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup test check demo bench lint format sample clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

test: setup
	$(VENV)/bin/ruff check rds_job_analytics tests benchmarks scripts
	$(VENV)/bin/ruff format --check rds_job_analytics tests benchmarks scripts
	$(PY) -m pytest

# The fast local loop: lint plus every test not marked slow, on both cores (about 50 s on an
# idle 2-core machine, 87 CPU-seconds). A test over about a second is marked slow, and so is
# the PostgreSQL twin of each two-backend test (make test runs both backends).
check: setup
	$(VENV)/bin/ruff check rds_job_analytics tests benchmarks scripts
	$(VENV)/bin/ruff format --check rds_job_analytics tests benchmarks scripts
	$(PY) -m pytest -m "not slow" -q -n 2

demo: setup
	$(VENV)/bin/rds-jobs demo

bench: setup
	$(PY) benchmarks/run.py

lint: setup
	$(VENV)/bin/ruff check rds_job_analytics tests benchmarks scripts

format: setup
	$(VENV)/bin/ruff format rds_job_analytics tests benchmarks scripts
	$(VENV)/bin/ruff check --fix rds_job_analytics tests benchmarks scripts

sample: setup
	$(PY) scripts/generate_sample.py data/sample_jobs.jsonl.gz

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
