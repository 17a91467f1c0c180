# The README's two commands: `make book` builds the book, `make test` runs every test.
# Both set up what is missing first (.venv, Chromium, npm packages, MNIST) and nothing twice.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: book test setup data browser benchmarks clean

book: data
	$(BIN)/jupyter-book build -W -n --keep-going .

test: data browser
	$(BIN)/python -m pytest --nbval-lax tests book

setup: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt -e .
	touch $@

data: $(INSTALLED)
	$(BIN)/python -m course_utils.data

# Debian's Chromium for the browser tests (needs root, as on CI).
browser:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }

benchmarks: data
	$(BIN)/python benchmarks/training.py

clean:
	rm -rf _build
