"""`archive saved ...` on the command line: add (with the search options of `search`), list, show, remove,
deliver, their errors, and what an ingest says about the saved searches' new hits."""
from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from archive.cli import main
from archive.saved_cli import saved

from .conftest import SAMPLE

main.add_command(saved)         # as archive/__main__.py composes it
LATER = "lands-end-inc-2020-q3.json"


def run(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *args])


def _first(tmp_path):
    src = tmp_path / "first"
    src.mkdir()
    for f in SAMPLE.glob("*.json"):
        if f.name != LATER and not f.name.endswith(".meta.json"):
            shutil.copy(f, src / f.name)
    assert run(tmp_path / "home", "ingest", str(src), "-q").exit_code == 0


def test_add_list_show_remove(tmp_path):
    home = tmp_path / "home"
    _first(tmp_path)
    r = run(home, "saved", "add", "Catalog sales", "catalog", "--mode", "lexical", "--role", "executive")
    assert r.exit_code == 0, r.output
    assert "saved 'Catalog sales'" in r.stdout and "/feeds/catalog-sales.atom" in r.stdout
    rows = json.loads(run(home, "saved", "list", "--json").stdout)
    assert [(s["name"], s["slug"], s["query"], s["request"]["role"]) for s in rows] == \
        [("Catalog sales", "catalog-sales", "catalog", "executive")]
    assert "catalog-sales" in run(home, "saved", "list").stdout
    shown = run(home, "saved", "show", "catalog-sales")
    assert shown.exit_code == 0 and "no hits recorded yet" in shown.stdout
    assert json.loads(run(home, "saved", "show", "Catalog sales", "--json").stdout)["recorded_hits"] == []
    r = run(home, "saved", "remove", "Catalog sales")
    assert r.exit_code == 0 and "removed" in r.stdout
    assert "no saved searches" in run(home, "saved", "list").stdout


def test_errors_name_the_problem_and_the_fix(tmp_path):
    home = tmp_path / "home"
    _first(tmp_path)
    assert run(home, "saved", "add", "Margins", "gross margin").exit_code == 0
    dup = run(home, "saved", "add", "margins", "other words")
    assert dup.exit_code == 2 and "exists already" in dup.stderr and "--replace" in dup.stderr
    assert run(home, "saved", "add", "margins", "other words", "--replace").exit_code == 0
    assert json.loads(run(home, "saved", "show", "Margins", "--json").stdout)["query"] == "other words"
    missing = run(home, "saved", "show", "Margin")
    assert missing.exit_code == 2 and "no saved search 'Margin'" in missing.stderr
    assert "did you mean margins?" in missing.stderr             # the name it was replaced under
    bad = run(home, "saved", "add", "Hook", "x", "--webhook", "file:///etc/passwd")
    assert bad.exit_code == 2 and "not an http(s) URL" in bad.stderr
    meta = run(home, "saved", "add", "Meta", "x", "--webhook", "http://169.254.169.254/latest")
    assert meta.exit_code == 2 and "link-local" in meta.stderr
    creds = run(home, "saved", "add", "Creds", "x", "--webhook", "https://u:p@hooks.example.com/x")
    assert creds.exit_code == 2 and "password" in creds.stderr
    query = run(home, "saved", "add", "Star", "*")
    assert query.exit_code == 2 and "error:" in query.stderr
    empty = run(home, "saved", "add", " ", "words")
    assert empty.exit_code == 2 and "needs a name" in empty.stderr
    # a ticker with no calls yet is allowed: the alert waits for its calls
    later = run(home, "saved", "add", "Future", "margin", "--ticker", "NVDA")
    assert later.exit_code == 0 and "NVDA" in later.stderr and "once they are ingested" in later.stderr


def test_an_ingest_reports_the_new_hits_and_queued_webhooks(tmp_path):
    home = tmp_path / "home"
    _first(tmp_path)
    assert run(home, "saved", "add", "Catalog", "catalog", "--mode", "lexical", "--webhook",
               "http://127.0.0.1:9/hook").exit_code == 0
    later = tmp_path / "later"
    later.mkdir()
    shutil.copy(SAMPLE / LATER, later / LATER)
    r = run(home, "ingest", str(later))
    assert r.exit_code == 0, r.output
    assert "saved searches: " in r.stderr and "new hit" in r.stderr and "1 webhook delivery queued" in r.stderr
    listed = json.loads(run(home, "saved", "list", "--json").stdout)[0]
    assert listed["recorded"] >= 1 and listed["new"] == listed["recorded"]
    assert listed["delivery_counts"] == {"pending": 1}
    # nothing listens on the discard port: the attempt fails, is kept, and the exit status says so
    sent = run(home, "saved", "deliver")
    assert sent.exit_code == 1 and "1 failed" in sent.stdout
    shown = run(home, "saved", "show", "Catalog").stdout
    assert "LE-2020Q3" in shown and "could not reach the receiver" in shown
    assert run(home, "saved", "deliver").stdout.strip() == "nothing to deliver"      # not due before its backoff
    again = json.loads(run(home, "reindex", "--json").stdout)
    assert again["outcome"] == "up-to-date"


def test_help_explains_alerts():
    out = CliRunner().invoke(main, ["saved", "--help"]).output
    assert "feed" in out and "webhook" in out and "saved add" in out
    assert "--webhook" in CliRunner().invoke(main, ["saved", "add", "--help"]).output
