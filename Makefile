# One entry point for everything. `make book` and `make test` work on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := _vendor/static/vendor
VENDOR_STAMP := _vendor/.fetched
# Pinned front-end copies served by the book instead of CDNs (see book/_ext/course_book.py).
MATHJAX := mathjax@3.2.2
WIDGETS := @jupyter-widgets/html-manager@1.0.6
REQUIREJS := requirejs@2.3.8
# Two processes run at a time (pytest -n 2, two grading kernels); letting each also start BLAS threads
# oversubscribes the two cores: nbval of all notebooks took 126 s that way and 16 s with one thread each.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
PYTEST_NB := --nbval-lax --nbval-current-env --nbval-cell-timeout=300 -n 2 --dist loadfile
# Noise that pip prints even when an install works (setuptools' notes on the editable build).
PIP_NOISE := ^WARNING: Location\|BuildBackendWarning\|^ *!!\|^ *\*\*\*\|Please be careful\|name as your package\|with strategy\|^ *$$
# The browser of the website test: $CHROMIUM if set, else Debian's /usr/bin/chromium, else the first
# chromium on PATH. Expanded when a recipe runs, so it sees a Chromium that `make chromium` just installed.
FIND_CHROMIUM = $(shell for c in "$${CHROMIUM:-}" /usr/bin/chromium "$$(command -v chromium)" "$$(command -v chromium-browser)"; do test -n "$$c" -a -x "$$c" && { echo "$$c"; break; }; done)

.PHONY: help venv vendor chromium bubblewrap book rebuild test lint lab serve release grade benchmark clean

help:
	@echo "make book       create .venv, install, fetch offline assets, build the website into _build/html"
	@echo "make test       run every test (unit, notebooks, book build, browser)"
	@echo "make chromium   find Chromium for the website test, or install it (apt, as root)"
	@echo "make bubblewrap find bwrap for the grader's sandbox, or install it (apt, as root)"
	@echo "make lab        JupyterLab on the repository (opens notebooks/) with the course environment"
	@echo "make serve      serve _build/html on http://127.0.0.1:8000"
	@echo "make release    regenerate the student exercise copies from their sources"
	@echo "make grade      grade a folder of submissions: make grade SUBMISSIONS=dir OUT=dir [EXERCISE=id]"
	@echo "make benchmark  print build, test and explorer timings"
	@echo "make clean      remove the build and the fetched assets"

# A .venv without a working pip (left by an interrupted or failed `python3 -m venv`) is made again.
# Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a separate package, so that is checked
# first. pip's output goes to .venv/pip.log; on failure it is shown (less the noise) and make stops.
venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	  command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.10 or newer (sudo apt-get install python3 python3-venv)"; exit 1; }; \
	  if ! $(PYTHON) -c "import venv, ensurepip" >/dev/null 2>&1; then \
	    version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	    echo "error: $(PYTHON) (Python $$version) cannot create a virtual environment: its venv/ensurepip module is missing."; \
	    echo "On Debian or Ubuntu run:  sudo apt-get install python3-venv   (or python$$version-venv), then run make again."; \
	    exit 1; \
	  fi; \
	  rm -rf $(VENV); \
	  echo "creating $(VENV) with $(PYTHON)"; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "error: '$(PYTHON) -m venv $(VENV)' failed (see above); the half-made $(VENV) was removed."; exit 1; }; \
	fi
	@echo "installing requirements.txt into $(VENV) (a few minutes the first time)"
	@{ $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -r requirements.txt; } > $(VENV)/pip.log 2>&1 \
	  || { grep -v "$(PIP_NOISE)" $(VENV)/pip.log || true; echo "error: pip could not install requirements.txt (full log: $(VENV)/pip.log)"; exit 1; }
	$(BIN)/python -c "import lectures_lib, jupyter_book, nbval, playwright"
	touch $(STAMP)

vendor: $(VENDOR_STAMP)
$(VENDOR_STAMP): Makefile book/_vendor_src/widgets-offline.js
	@command -v npm >/dev/null || { echo "error: npm is needed once, to fetch MathJax, RequireJS and the widget manager. Run: sudo apt-get install npm"; exit 1; }
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

# A system tool the tests need: $(call system_tool,FOUND,PACKAGE,CHECK,WHY) does nothing when FOUND is
# non-empty; otherwise it installs Debian's PACKAGE with apt when make runs as root and then runs CHECK,
# or else stops here, before anything else, naming WHY and the one command to run.
define system_tool
	@if test -n "$(1)"; then \
	  :; \
	elif test "$$(id -u)" = 0 && command -v apt-get >/dev/null; then \
	  echo "$(2) not found: installing Debian's $(2) package with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get update -qq && apt-get install -y -qq $(2) >/dev/null; } \
	    || { echo "error: apt-get could not install $(2) (see above). Run: sudo apt-get install $(2)"; exit 1; }; \
	  $(3) || { echo "error: apt-get installed $(2) but it is still not found"; exit 1; }; \
	else \
	  echo "error: $(4), and it was not found. Run:"; \
	  echo "    sudo apt-get install $(2)"; \
	  exit 1; \
	fi
endef

# The website test drives Chromium (see FIND_CHROMIUM; or set CHROMIUM=/path/to/chromium).
chromium:
	$(call system_tool,$(FIND_CHROMIUM),chromium,test -x /usr/bin/chromium,make test needs Chromium for the website test)

# The grader runs every submission in a bubblewrap sandbox (Debian's bubblewrap package, command bwrap).
bubblewrap:
	$(call system_tool,$(shell command -v bwrap),bubblewrap,command -v bwrap >/dev/null,the grader and its tests sandbox student code with bubblewrap (bwrap))

# Unit, exercise, book and website tests (the website test builds the book itself with -W -n and
# drives Chromium over every page), then every notebook under nbval. pytest exits non-zero when it
# finds no test at all (status 5), so an empty selection fails too.
test: chromium bubblewrap venv vendor lint
	CHROMIUM="$(FIND_CHROMIUM)" $(BIN)/python -m pytest tests -n 2 --dist loadfile -q
	LECTURES_LIB_STRICT_CHECKS=1 $(BIN)/python -m pytest notebooks $(PYTEST_NB) -q

lint: venv
	$(BIN)/ruff check lectures_lib tests benchmarks book/_ext notebooks

# Rooted at the repository, so lectures_lib/ is one click away; opens on notebooks/.
lab: venv
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

serve:
	@test -f _build/html/index.html || { echo "no build yet: run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

release: venv
	$(BIN)/python -m lectures_lib.grading release

# make grade SUBMISSIONS=folder/ OUT=folder/ [EXERCISE=00_power_laws]
grade: venv bubblewrap
	@test -n "$(SUBMISSIONS)" -a -n "$(OUT)" || { echo "usage: make grade SUBMISSIONS=folder/ OUT=folder/ [EXERCISE=id]"; exit 2; }
	$(BIN)/python -m lectures_lib.grading grade "$(SUBMISSIONS)" --out "$(OUT)" $(if $(EXERCISE),--exercise $(EXERCISE))

benchmark: venv vendor
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/chinchilla_fit.py
	$(BIN)/python benchmarks/lifetime.py
	$(BIN)/python benchmarks/test_time.py
	$(BIN)/python benchmarks/moe.py
	$(BIN)/python benchmarks/quantization.py
	$(BIN)/python benchmarks/frequency.py
	$(BIN)/python benchmarks/whats_next.py

clean:
	rm -rf _build _vendor
