# Two commands set up a fresh machine: `make serve` and `make test`. Both create the venv and install first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ARCHIVE_HOME ?= var
ARCHIVE := $(PY) -m archive --home $(ARCHIVE_HOME)
FAST   := not slow and not corpus and not browser and not milvus

.PHONY: install install-milvus browser serve test test-fast test-tantivy sample clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The optional Milvus engine and Milvus Lite (about 280 MB; docs/scale.md). The Milvus tests skip, saying why,
# when it cannot be installed.
install-milvus: $(VENV)/.installed-milvus

$(VENV)/.installed-milvus: requirements-milvus.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-milvus.txt && touch $@ || \
	    echo "warning: could not install requirements-milvus.txt; the Milvus tests will be skipped"

# Only the browser tests need a browser: Debian's Chromium, driven by Playwright (which never downloads one here).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	    echo "warning: could not install chromium; the browser tests will be skipped"

# Builds the bundled sample archive and makes it searchable (idempotent: unchanged files are skipped, cached
# vectors reused), and shows what it holds.
sample: install
	$(ARCHIVE) ingest archive/sample
	$(ARCHIVE) stats

serve: sample
	$(ARCHIVE) serve

# The whole suite (corpus tests skip without ../shared/data, browser tests without chromium, Milvus tests without
# Milvus Lite).
test: install install-milvus browser
	$(PY) -m pytest -q

# The unit tests: no real model, no corpora, no browser, no servers.
test-fast: install
	$(PY) -m pytest -q -m "$(FAST)"

# The whole suite with tantivy as every test archive's lexical engine (make test runs the engine-level, search
# and reindex tests on both).
test-tantivy: install browser
	$(PY) -m pytest -q --lexical-engine tantivy

clean:
	rm -rf var .pytest_cache
