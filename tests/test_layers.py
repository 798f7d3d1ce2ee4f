"""Imports point one way: index <- archive <- web; scripts and tests may import anything, nothing imports them."""
from __future__ import annotations

import ast

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


def test_heavy_dependencies_are_not_imported_by_the_cli():
    import subprocess
    import sys
    code = "import sys, archive.cli; print(sorted(m for m in ('torch', 'faiss', 'whoosh', 'sentence_transformers') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
