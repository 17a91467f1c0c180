# The README's two commands: `make book` builds the book, `make test` runs every test.
# Both set up what is missing first (.venv, Chromium, npm packages, MNIST) and nothing twice.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCK := requirements-lock.txt
NODE_PACKAGES := node_modules/.installed
# The book's execution cache knows the notebooks' code, not course_utils': when course_utils
# changes, forget the cache and Sphinx's record of what is up to date, so every chapter runs again.
# The stamp is named after course_utils' content (not its date), so that a cache restored by CI or
# kept across a checkout stays valid exactly when course_utils is the same.
EXECUTION_STAMP := _build/.course_utils-$(shell cat course_utils/*.py course_utils/*.pyi course_utils/explorer/*.py course_utils/explorer/*.js \
                    course_utils/explorer/*.css | sha256sum | cut -c1-16)
# apt-get needs root: CI here runs as root, GitHub's runners as a user with sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: book pdf test test-fast lint check-js colab-check setup lock upgrade data site-packages \
        browser benchmarks clean

book: data site-packages $(EXECUTION_STAMP)
	$(BIN)/jupyter-book build -W -n --keep-going .

# The whole book as one PDF in _build/pdf/ (named by print_edition_pdf in _config.yml), with a copy
# in _build/html/ for the site's download menu: the singlehtml build, which reads the chapters from
# the same execution cache and doctrees as `make book` (nothing runs twice), printed by Debian's
# Chromium (scripts/print_pdf.py; book/_static/print.css lays it out).
pdf: data site-packages browser $(EXECUTION_STAMP)
	$(BIN)/jupyter-book build --builder singlehtml -W -n --keep-going .
	$(BIN)/python scripts/print_pdf.py

test: lint data site-packages browser check-js $(EXECUTION_STAMP)
	$(BIN)/python -m pytest --nbval-lax tests book

# The unit tests only, in under a minute: no notebooks, browser or training (markers in
# pyproject), spread over the machine's cores by pytest-xdist. (`make test` runs in one process:
# its book build and browser are session fixtures that one process builds once.)
test-fast: data check-js $(INSTALLED)
	$(BIN)/python -m pytest -n auto -m "not notebooks and not browser and not training" tests

# ruff (configured in pyproject.toml; book/ruff.toml: the chapters' 79 columns) and the GitHub
# workflows in .github/workflows, checked by actionlint (both in requirements-dev.txt).
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/actionlint

# The front-end scripts parse: the static explorers' and print-light.js run only in readers'
# browsers, print_pdf.js in the one that prints the PDF.
check-js:
	for script in course_utils/explorer/*.js book/_static/print-light.js scripts/print_pdf.js; do \
		node --check $$script || exit 1; done

# The Colab route on a Colab-like Python 3.12 (scripts/colab_check.py). Not part of `make test`:
# it takes minutes and a 645 MB TensorFlow download the first time; CI runs it as its own job.
colab-check: data
	$(BIN)/python scripts/colab_check.py

setup: $(INSTALLED)

# The reader's set (requirements.txt, what Binder installs) and the build and test tools
# (requirements-dev.txt), every package at the version the lock gives it.
$(INSTALLED): requirements.txt requirements-dev.txt $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -c $(LOCK) -r requirements-dev.txt -e .
	touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The lock: both requirement files resolved by uv for Python 3.11 on every platform (markers pick
# tensorflow-cpu or tensorflow), from PyPI alone: uv reads no pip configuration of this machine.
# `make lock` after editing a requirement file keeps every other pin; `make upgrade` moves every
# package that the requirement files do not pin to its newest release. Then run `make test`.
# uv comes from the lock itself, alone, so that a requirement file that disagrees with the lock
# (the reason to run this) does not stop it.
UV_COMPILE := $(BIN)/uv pip compile --no-config --universal --python-version 3.11 --quiet \
              --custom-compile-command "make lock" requirements-dev.txt -o $(LOCK)

lock: | $(BIN)/uv
	$(UV_COMPILE)

upgrade: | $(BIN)/uv
	$(UV_COMPILE) --upgrade

$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -c $(LOCK) uv

data: $(INSTALLED)
	$(BIN)/python -m course_utils data

$(EXECUTION_STAMP):
	rm -rf _build/.jupyter_cache _build/.doctrees _build/.course_utils-*
	mkdir -p _build && touch $@

# MathJax, require.js, the widget manager (served by the book itself) and axe-core, from the lock file.
site-packages: $(NODE_PACKAGES)

$(NODE_PACKAGES): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests and the PDF, and poppler-utils to read the PDF (pdfinfo,
# pdftotext); needs root or sudo.
browser:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || { $(SUDO) apt-get update -q \
	  && $(SUDO) apt-get install -y -q chromium chromium-driver poppler-utils; }

benchmarks: data
	$(BIN)/python benchmarks/training.py
	$(BIN)/python benchmarks/slider.py
	$(BIN)/python benchmarks/draw_pad.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/page_size.py   # of the site that `make book` built
	$(BIN)/python benchmarks/pdf_size.py    # of the PDF that `make pdf` printed

clean:
	rm -rf _build
