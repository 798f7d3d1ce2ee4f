"""Imported first by every script: run under the project's virtual environment (.venv, made by `make serve` or
`make test`) even when started as `scripts/NAME.py` by the system's python3, and put the repository on sys.path."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_VENV = ROOT / ".venv"
_PYTHON = _VENV / "bin" / "python"

if _PYTHON.exists() and Path(sys.prefix).resolve() != _VENV.resolve():
    os.execv(str(_PYTHON), [str(_PYTHON), *sys.argv])
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
