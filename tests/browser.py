"""The browser tests' fixtures: the app served from the session's shared sample archive (tests/conftest.py) in
a subprocess on a free loopback port, and a page in Debian's headless Chromium driven by Playwright that records
console errors. Screenshots go to screenshots/ (git-ignored)."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "screenshots"
BROWSER = [pytest.mark.browser,            # each browser test module's pytestmark
              pytest.mark.skipif(not os.path.exists(CHROMIUM) or shutil.which("chromium") is None,
                                 reason="Debian chromium is not installed (make install does it)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_archive):
    home = sample_archive.settings.home
    env = {**os.environ, "ARCHIVE_ENCODER": "hash", "PYTHONPATH": str(ROOT)}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--home", str(home), "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.console_errors = []
        pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
        yield pg
        browser.close()


@contextlib.contextmanager
def serving(home, **env):
    """`python -m archive --home HOME serve` on a free loopback port, with the test encoder and ARCHIVE_BASE_URL set
    to its own address (its deep links and feed URLs point at it); extra ARCHIVE_* settings in env. Yields the base
    URL once /api/health answers; stops the server after."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ARCHIVE_ENCODER": "hash", "PYTHONPATH": str(ROOT), "ARCHIVE_BASE_URL": base, **env}
    log = open(os.path.join(str(home), "serve.log"), "wb")       # not a pipe: nobody reads it while it runs
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--home", str(home), "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("the server stopped: " + open(log.name, "rb").read().decode()[-2000:])
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
