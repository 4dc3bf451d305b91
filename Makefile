# Yiyang: `make run` sets everything up and serves the demo city with its scheduler; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
ELDERS ?= 20000

.PHONY: run test install translations db seed lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel compile -d platform/eldercare/translations 2>&1 | grep -v "^compiling" || true

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed-demo --elders $(ELDERS)

# The pages and the scheduler (care plans become orders, unanswered offers move on); Ctrl-C stops both.
run: seed translations
	$(FLASK) serve --host $(HOST) --port $(PORT)

test: install translations
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	for b in bench/bench_*.py; do $(BIN)/python -m bench.$$(basename $$b .py) || exit 1; done

lint: install
	$(BIN)/ruff check platform tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache
