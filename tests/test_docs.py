"""The README documents every setting and every command."""
from __future__ import annotations

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
