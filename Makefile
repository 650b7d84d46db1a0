# Two commands do everything from a fresh clone (see README.md):
#   make site   build the website (installs into .venv first)
#   make test   run the whole test suite (installs into .venv first, with the browser for page tests)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER_STAMP := tests/browser/node_modules/.installed

# Some machines (this project's CI image among them) set PYTHONDONTWRITEBYTECODE=1. A build or a test run starts
# many Python processes (test workers, notebook kernels, the command line in fresh clones), and without cached
# bytecode each compiles the package again and pytest rewrites every test module again (about 7 s per worker).
# The bytecode goes into the venv, not beside the sources: the tree holds only what git tracks and the build output.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

.PHONY: install site test screenshots lab lint bench clean snapshot

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (butterfly)" >/dev/null
	@# the bytecode pip wrote beside the installed packages is not read under PYTHONPYCACHEPREFIX: compiled once
	@# here instead of by every test worker, kernel and command at once on the first run (about 45 s of CPU);
	@# a file that does not compile is compiled, or fails, at import as usual
	$(BIN)/python -m compileall -q -j0 $(VENV)/lib butterfly_lib tests tools benchmarks >/dev/null || true
	touch $(STAMP)

install: $(STAMP)

# Chromium from Debian (Playwright's own browser download cannot work offline) and the widget
# JavaScript (require.js, html-manager, jupyter-leaflet) from npm, served to the browser by request routing.
$(BROWSER_STAMP): tests/browser/package.json
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	cd tests/browser && npm ci --silent --no-audit --no-fund
	touch $(BROWSER_STAMP)

site: $(STAMP)
	$(BIN)/butterfly site

# The tests run in a worker per core plus one for each group of tests that mostly wait (the fault matrix's
# timeouts and trickled bodies, tests/conftest.py), and mypy (one core, about 8 s from a cold cache) runs beside them.
# --dist loadgroup: a module whose tests share a costly module fixture is marked xdist_group and runs on one
# worker; every other test goes wherever a worker is free. Both must pass; mypy's report follows the tests'.
test: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/ruff check butterfly_lib tests benchmarks tools notebooks
	@log=$$(mktemp); $(BIN)/mypy >$$log 2>&1 & typing=$$!; \
	$(BIN)/python -m pytest -n auto --dist loadgroup; tests=$$?; \
	wait $$typing; typed=$$?; echo "mypy:"; cat $$log; rm -f $$log; \
	test $$tests -eq 0 -a $$typed -eq 0

# The browser tests again, saving a full-page screenshot of every page they load (test-output/screenshots/) for a
# person to look at; `make test` takes none (a screenshot checks nothing and costs Chromium half a second each).
screenshots: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest -n 2 tests/browser --screenshots

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

snapshot: $(STAMP)
	$(BIN)/python tools/build_snapshot.py

# Generated output only: the site, the executed pages, the run folder (lock, staging, last failed run), Quarto's
# scratch folder and the tests' screenshots. The request cache (data/cache/) and the places' observation records
# (data/record/) are kept: they hold past years that never change and cost many requests to fetch again; `butterfly
# cache clear` (or clear-expired) empties the cache, and deleting a folder of data/record/ makes the next run
# download that record anew.
clean:
	rm -rf _site pages .butterfly-run .quarto site/_build test-output
