"""The README documents every setting and every command."""
from __future__ import annotations

import os

import pytest

from archive.cli import main
from archive.config import Settings

from .conftest import ROOT


def test_readme_lists_every_setting_with_its_help():
    readme = (ROOT / "README.md").read_text()
    for name, help_text in Settings.help().items():
        assert f"| `{name}` |" in readme, name
        assert help_text in readme, name


def test_readme_shows_every_command():
    readme = (ROOT / "README.md").read_text()
    for name in [*main.commands, "serve", "mcp"]:
        assert f"python -m archive {name}" in readme or f"archive --home var/mf {name}" in readme, name


@pytest.mark.slow
def test_scripts_run_as_the_readme_writes_them():
    """`scripts/NAME.py ...` started by the system's python3 (not the venv's) re-executes under .venv."""
    import subprocess
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("no .venv here (make test creates it)")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    for script in sorted((ROOT / "scripts").glob("[!_]*.py")):
        r = subprocess.run([str(script), "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "usage" in r.stdout.lower(), (script.name, r.stderr[-500:])


@pytest.mark.slow
def test_make_sample_runs_again_when_everything_is_up_to_date(tmp_path):
    """`make serve` builds the sample first; the second time the index is up to date (reindex exits 3), which
    must not stop it."""
    import shutil
    import subprocess
    if not (ROOT / ".venv" / "bin" / "python").exists() or not shutil.which("make"):
        pytest.skip("needs make and the .venv that make test creates")
    env = {**os.environ, "ARCHIVE_ENCODER": "hash"}
    for _ in range(2):
        r = subprocess.run(["make", "-s", "sample", f"ARCHIVE_HOME={tmp_path}"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-800:]
        assert "calls     11" in r.stdout
