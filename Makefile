# Two commands set up a fresh machine: `make serve` and `make test`. Both create the venv and install first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ARCHIVE_HOME ?= var
ARCHIVE := $(PY) -m archive --home $(ARCHIVE_HOME)

.PHONY: install serve test sample clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@# Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	    echo "warning: could not install chromium; the browser tests will be skipped"
	touch $@

# Builds the bundled sample archive and its indexes (idempotent: unchanged files are skipped, cached vectors
# reused) and shows what it holds.
sample: install
	$(ARCHIVE) ingest archive/sample
	$(ARCHIVE) reindex --quiet || [ $$? -eq 3 ]    # 3: already up to date
	$(ARCHIVE) stats

serve: sample
	$(ARCHIVE) serve

test: install
	$(PY) -m pytest -q

clean:
	rm -rf var .pytest_cache
