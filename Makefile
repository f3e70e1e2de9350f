# WeChat bank starter kit: the template's own commands.
#   make demo   bake the default bank into build/demo and start it in the sandbox: the service on
#               127.0.0.1:5000, the mock WeChat API and the browser simulator on 127.0.0.1:5001
#   make test   run every test: hooks, every option combination, and each bake's own suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DEMO   := build/demo
HOST   ?= 127.0.0.1
PORT   ?= 5000
MOCK_PORT ?= 5001

.PHONY: demo test lint clean

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/cookiecutter --no-input --overwrite-if-exists -o $(DEMO) .
	@set -e; project=$$(ls -d $(DEMO)/*/ | head -n 1); cd $$project; \
	  slug=$$(basename $$project); \
	  [ -x .venv/bin/python ] || $(PYTHON) -m venv .venv; \
	  .venv/bin/python -m pip install -q --upgrade pip; \
	  .venv/bin/python -m pip install -q -e .; \
	  .venv/bin/flask --app $$slug init-db; \
	  .venv/bin/flask --app $$slug seed-demo; \
	  exec .venv/bin/flask --app $$slug sandbox run --host $(HOST) --port $(PORT) --mock-port $(MOCK_PORT)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check tests

clean:
	rm -rf build $(VENV)
