# One entry point for everything. `make book` and `make test` work on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := _vendor/static/vendor
VENDOR_STAMP := _vendor/.fetched
# Pinned front-end copies served by the book instead of CDNs (see book/_ext/offline_assets.py).
MATHJAX := mathjax@3.2.2
WIDGETS := @jupyter-widgets/html-manager@1.0.6
REQUIREJS := requirejs@2.3.8
# Two processes run at a time (pytest -n 2, two grading kernels); letting each also start BLAS threads
# oversubscribes the two cores: nbval of all notebooks took 126 s that way and 16 s with one thread each.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
PYTEST_NB := --nbval-lax --nbval-current-env --nbval-cell-timeout=300 -n 2 --dist loadfile

.PHONY: help venv vendor book rebuild test lint lab serve release grade benchmark clean

help:
	@echo "make book       create .venv, install, fetch offline assets, build the website into _build/html"
	@echo "make test       run every test (unit, notebooks, book build, browser)"
	@echo "make lab        JupyterLab with the course environment"
	@echo "make serve      serve _build/html on http://127.0.0.1:8000"
	@echo "make release    regenerate the student exercise copies from their sources"
	@echo "make grade      grade a folder of submissions: make grade SUBMISSIONS=dir OUT=dir [EXERCISE=id]"
	@echo "make benchmark  print build, test and explorer timings"
	@echo "make clean      remove the build and the fetched assets"

venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -m pip install --quiet -r requirements.txt 2>&1 | grep -v "^WARNING: Location\|BuildBackendWarning\|^ *!!\|^ *\*\*\*\|Please be careful\|name as your package\|with strategy\|^ *$$" || true
	$(BIN)/python -c "import lectures_lib, jupyter_book, nbval, playwright"
	touch $(STAMP)

vendor: $(VENDOR_STAMP)
$(VENDOR_STAMP): Makefile book/_vendor_src/widgets-offline.js
	rm -rf _vendor && mkdir -p _vendor/npm $(VENDOR)
	cd _vendor/npm && npm pack --silent $(MATHJAX) $(WIDGETS) $(REQUIREJS) > /dev/null
	mkdir -p _vendor/npm/mathjax _vendor/npm/html-manager _vendor/npm/requirejs
	tar -xzf _vendor/npm/mathjax-*.tgz -C _vendor/npm/mathjax
	tar -xzf _vendor/npm/jupyter-widgets-html-manager-*.tgz -C _vendor/npm/html-manager
	tar -xzf _vendor/npm/requirejs-*.tgz -C _vendor/npm/requirejs
	mkdir -p $(VENDOR)/mathjax $(VENDOR)/html-manager/dist $(VENDOR)/npm
	mkdir -p $(VENDOR)/mathjax/es5
	cd _vendor/npm/mathjax/package/es5 && cp -r tex-mml-chtml.js input output ui a11y sre adaptors $(CURDIR)/$(VENDOR)/mathjax/es5/
	cp _vendor/npm/html-manager/package/dist/embed-amd.js $(VENDOR)/html-manager/dist/
	cp _vendor/npm/html-manager/package/dist/*.{woff,woff2,ttf,eot,svg} $(VENDOR)/html-manager/dist/
	cp _vendor/npm/requirejs/package/require.js $(VENDOR)/require.js
	cp book/_vendor_src/widgets-offline.js $(VENDOR)/widgets-offline.js
	touch $(VENDOR_STAMP)

book: venv vendor
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The website is in _build/html: open _build/html/index.html, or run 'make serve'."

rebuild: venv vendor
	$(BIN)/jupyter-book build . -W -n --keep-going --all

# Unit, exercise, book and website tests (the website test builds the book itself with -W -n and
# drives Chromium over every page), then every notebook under nbval.
test: venv vendor lint
	$(BIN)/python -m pytest tests -n 2 --dist loadfile -q
	$(BIN)/python -m pytest notebooks $(PYTEST_NB) -q

lint: venv
	$(BIN)/ruff check lectures_lib tests benchmarks book/_ext

lab: venv
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

serve:
	@test -f _build/html/index.html || { echo "no build yet: run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

release: venv
	$(BIN)/python -m lectures_lib.grading release

# make grade SUBMISSIONS=folder/ OUT=folder/ [EXERCISE=00_power_laws]
grade: venv
	@test -n "$(SUBMISSIONS)" -a -n "$(OUT)" || { echo "usage: make grade SUBMISSIONS=folder/ OUT=folder/ [EXERCISE=id]"; exit 2; }
	$(BIN)/python -m lectures_lib.grading grade "$(SUBMISSIONS)" --out "$(OUT)" $(if $(EXERCISE),--exercise $(EXERCISE))

benchmark: venv vendor
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/chinchilla_fit.py
	$(BIN)/python benchmarks/lifetime.py

clean:
	rm -rf _build _vendor
