# newform — developer entry points. `make test` works from a fresh clone (needs python3.11, Java 17+, Maven).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv kafka-jars test lint run clean-venv

venv: $(STAMP)

# Re-install only when the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

kafka-jars: $(STAMP)
	$(PY) -m newform_local.kafka fetch

test: $(STAMP) kafka-jars
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

run: $(STAMP) kafka-jars
	$(VENV)/bin/newform dev

clean-venv:
	rm -rf $(VENV)
