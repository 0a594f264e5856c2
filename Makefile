# newform — developer entry points. `make test` works from a fresh clone (needs python3.11, Java 17+, Maven).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv kafka-jars keycloak browser tools api sdks sdks-dist deploy test lint run bench bench-scale chaos clean-venv
OASDIFF_VERSION := v1.37.0

venv: $(STAMP)

# Re-install when the dependency declarations change or a service folder appears (setup.py finds them).
$(STAMP): pyproject.toml constraints.txt setup.py $(wildcard services/*/newform_*/__init__.py)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[test,local]'
	touch $(STAMP)

kafka-jars: $(STAMP)
	$(PY) -m newform_local.kafka fetch

# Keycloak (the local identity provider; Java 21+): fetched with Maven, unpacked and built once into .cache/.
keycloak: $(STAMP)
	$(PY) -m newform_local.keycloak fetch

# Node packages from package-lock.json: the TypeScript SDK generator and compiler, the Noto Sans SC font.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# oasdiff (OpenAPI breaking-change check), built from its Go module into .cache/bin.
.cache/bin/oasdiff:
	GOBIN=$(CURDIR)/.cache/bin GOFLAGS=-mod=mod go install github.com/oasdiff/oasdiff@$(OASDIFF_VERSION)

tools: node_modules/.installed .cache/bin/oasdiff

# The published contracts in api/ (OpenAPI per service, AsyncAPI per topic), from the code.
api: $(STAMP)
	$(VENV)/bin/newform api export

# deploy/compose and deploy/k8s from the service registry.
deploy: $(STAMP)
	$(VENV)/bin/newform deploy export

# Both SDKs from api/: sdks/python/newform_sdk/<service>/, sdks/typescript/src/<service>/ (+ tsc --noEmit).
sdks: $(STAMP) node_modules/.installed
	$(PY) -m newform_local.sdks

# The SDK artefacts from api/ (what integrators install, what CI publishes): dist/sdks/newform_sdk-<v>-py3-none-any.whl
# and dist/sdks/newform-sdk-<v>.tgz, stamped with the API version, Apache-2.0.
sdks-dist: $(STAMP) node_modules/.installed
	$(PY) -m newform_local.sdks --dist dist/sdks

# The gateway's dashboard test drives Debian's Chromium (no browser download: these networks are offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the dashboard test"; \
	  SUDO=$$( [ "$$(id -u)" -ne 0 ] && command -v sudo || true ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

test: $(STAMP) kafka-jars keycloak browser tools
	$(PY) -m pytest

# Every benchmark in one run; one table at the end and .data/bench/summary.json. Needs Debian's wrk.
bench: $(STAMP) kafka-jars
	@command -v wrk >/dev/null 2>&1 || { SUDO=$$( [ "$$(id -u)" -ne 0 ] && command -v sudo || true ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q wrk; }
	$(PY) bench/run_all.py

# The regulator's view at province scale (bench/bench_scale.py): a synthetic province of 100,000 and
# 1,000,000 workers (50 million facts) in the event log, the rebuild from the log, every page and list
# timed warm and cold. About an hour on 2 cores; ~40 GB of disk under $$TMPDIR.
bench-scale: $(STAMP) kafka-jars
	$(PY) bench/bench_scale.py

# The fault suite (tests/chaos/run.py): a 3-node Kafka cluster, 2 replicas of each service, faults
# under load, then the checks and the table. About 4 minutes; `make test` runs its short version.
chaos: $(STAMP) kafka-jars
	$(PY) -m tests.chaos.run

# mypy: strict over the kit and the services' rules ([tool.mypy] in pyproject.toml; tests/common/test_types.py).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

run: $(STAMP) kafka-jars node_modules/.installed
	$(VENV)/bin/newform dev

clean-venv:
	rm -rf $(VENV)
