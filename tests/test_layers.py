"""Imports point one way: index <- archive <- web; scripts and tests may import anything, nothing imports them."""
from __future__ import annotations

import ast

import pytest

from .conftest import ROOT

FORBIDDEN = {
    "index": {"archive", "web", "flask", "scripts", "tests"},
    "archive": {"web", "scripts", "tests", "flask"},
    "web": {"index", "whoosh", "faiss", "scripts", "tests"},
}


def imports_of(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_layers():
    bad = []
    for package, forbidden in FORBIDDEN.items():
        for f in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            if f == ROOT / "archive" / "__main__.py":
                continue            # the composition root: adds web's serve command to the CLI
            bad += [f"{f.relative_to(ROOT)} imports {m}" for m in imports_of(f) if m in forbidden]
    assert not bad, bad


def private_imports(path, package):
    """Names starting with '_' that a module of `package` imports from another of our packages."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0] if node.level == 0 else package
            if top in FORBIDDEN and top != package:
                yield from (f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_"))


def test_no_module_imports_a_private_name_of_another_package():
    bad = []
    for package in FORBIDDEN:
        for f in sorted((ROOT / package).rglob("*.py")):
            bad += [f"{f.relative_to(ROOT)} imports {name}" for name in private_imports(f, package)]
    assert not bad, bad


def test_the_private_import_check_sees_one(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("from archive.cli import _secret, public\nfrom .params import _local\n")
    assert list(private_imports(f, "web")) == ["archive.cli._secret"]


def test_sql_lives_in_the_store():
    """Every query of the archive's database is a Store method: no other module of the project runs SQL."""
    import re
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\s+(\*|[\w.(]+)[\s\S]{0,80}?\b(FROM|INTO|SET)\b")
    allowed = {ROOT / "archive" / "store.py", ROOT / "index" / "vector_cache.py"}    # the cache is its own file
    bad = []
    for folder in ("archive", "index", "web", "scripts"):
        for f in sorted((ROOT / folder).rglob("*.py")):
            if f not in allowed and sql.search(f.read_text()):
                bad.append(str(f.relative_to(ROOT)))
    assert not bad, bad


def test_heavy_dependencies_are_not_imported_by_the_cli():
    import subprocess
    import sys
    code = "import sys, archive.cli; print(sorted(m for m in ('torch', 'faiss', 'whoosh', 'sentence_transformers') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_lexical_search_whose_hits_hold_the_words_never_imports_torch(tmp_path):
    """`archive search --mode lexical` answers without loading the embedding model's stack when every hit holds
    the query's words (the index is built with the real model, so the search would load it if it asked for it:
    it does to judge partial matches by meaning, archive/strength.py)."""
    import subprocess
    import sys
    from archive.config import Settings
    from archive.service import Archive
    from .conftest import SEED
    with Archive.open(Settings(home=tmp_path, encoder="minilm")) as a:
        assert a.ingest([SEED], meta={"ticker": "KC"}).ok
        a.reindex()
    code = ("import sys; from archive.cli import main\n"
            "try:\n    main(['--home', sys.argv[1], 'search', 'Kingsoft', '--mode', 'lexical', '--json'])\n"
            "except SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "ARCHIVE_ENCODER": "minilm"})
    assert '"hits"' in out.stdout and "LOADED []" in out.stdout, out.stderr[-800:]
