# Framewise: `make run` starts the suite on SQLite, `make test` runs every test,
# `make test-fast` the fast ones (unit, service, SDK; no e2e, faults, fuzz).
# Both set up everything they need (virtualenv, packages, generated code) first.

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
CLIENT      := clients/python
PROTOS      := $(shell find protos/framewise -name '*.proto')
VENV_STAMP  := $(VENV)/.installed
NODE_STAMP  := node_modules/.installed

.PHONY: all run test test-fast lint gen clean bench-% help publish-contract

all: $(VENV_STAMP)

help:
	@echo "make run            start every service on SQLite (data in ./data)"
	@echo "make test           lint, then run every test (SQLite, and PostgreSQL when reachable)"
	@echo "make test-fast      lint, then the fast tests only (-m 'not slow': no e2e, faults, fuzz)"
	@echo "make bench-NAME     run bench/NAME.py (e.g. make bench-dataset)"
	@echo "make publish-contract  move the buf breaking baseline (contracts/baseline) to protos/"

# Both distributions, editable: the client (SDK, CLI, and the code generated from protos/)
# and the services. Generated code is built, never committed: protos/ is the source of
# truth, and the client's build step (clients/python/setup.py) runs grpc_tools.protoc,
# so a change of a .proto reinstalls the client here, which regenerates.
$(VENV_STAMP): pyproject.toml $(CLIENT)/pyproject.toml $(CLIENT)/setup.py $(PROTOS)
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ./$(CLIENT) -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

gen: $(VENV_STAMP)

run: $(VENV_STAMP)
	$(VENV)/bin/framewise-all

lint: $(VENV_STAMP) $(NODE_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services
	npx --no-install buf lint protos
	deploy/validate.sh
	contracts/check.sh

test: lint
	$(PY) -m pytest -q

# Aiming at two minutes on a quiet two-core machine: the tests marked slow (tests/e2e,
# tests/faults, tests/cluster, the fuzz test; see tests/conftest.py) are left out.
test-fast: lint
	$(PY) -m pytest -q -m "not slow" -n auto

# Only on purpose, when a change of the v1 contracts is published (README, "Contract
# compatibility"): `make lint` checks protos/ against this baseline with `buf breaking`.
publish-contract: $(NODE_STAMP)
	npx --no-install buf lint protos
	rm -rf contracts/baseline
	cp -R protos contracts/baseline
	@echo "contracts/baseline now holds protos/ as of $$(git rev-parse --short HEAD); commit it"

bench-%: $(VENV_STAMP)
	$(PY) -m bench.$*

clean:
	rm -rf $(VENV_STAMP) $(CLIENT)/build $(CLIENT)/framewise/common \
		$(CLIENT)/framewise/dataset $(CLIENT)/framewise/labeling \
		$(CLIENT)/framewise/interpolation $(CLIENT)/framewise/release
