# The README's two commands: `make book` builds the book, `make test` runs every test.
# Both set up what is missing first (.venv, Chromium, npm packages, MNIST) and nothing twice.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_PACKAGES := node_modules/.installed

.PHONY: book test setup data site-packages browser benchmarks clean

book: data site-packages
	$(BIN)/jupyter-book build -W -n --keep-going .

test: data site-packages browser
	$(BIN)/python -m pytest --nbval-lax tests book

setup: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt -e .
	touch $@

data: $(INSTALLED)
	$(BIN)/python -m course_utils data

# MathJax, require.js, the widget manager (served by the book itself) and axe-core, from the lock file.
site-packages: $(NODE_PACKAGES)

$(NODE_PACKAGES): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests (needs root, as on CI).
browser:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }

benchmarks: data
	$(BIN)/python benchmarks/training.py
	$(BIN)/python benchmarks/slider.py
	$(BIN)/python benchmarks/memory.py

clean:
	rm -rf _build
