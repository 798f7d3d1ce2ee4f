"""Slow and idle clients cannot starve `serve` (issue 13): a real server (a subprocess under waitress) over a
small archive keeps answering `/api/health` and searches while 150 connections sit on half-sent requests, and it
closes an idle connection once its channel timeout has passed.

Under waitress's own defaults (100 connections, 120 s channel timeout) the first test fails: the 150 slow
sockets fill every connection slot and the health check waits in the listen backlog for two minutes.
`test_the_old_limits_starve_the_server` shows that with the old settings given explicitly, so the slow-client
test is known to exercise the limit it guards. The only clock here is a generous timeout for liveness."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ROOT, SAMPLE

pytestmark = pytest.mark.slow

SLOW = 150
PARTIAL = b"GET /api/health HTTP/1.1\r\nHost: x\r\n"   # never the blank line that ends the headers


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """The bundled sample, stored and indexed by the CLI with the test encoder (ARCHIVE_ENCODER from conftest)."""
    h = tmp_path_factory.mktemp("slow-clients")
    r = subprocess.run([sys.executable, "-m", "archive", "--home", str(h), "ingest", str(SAMPLE), "-q"],
                       cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-800:]
    return h


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home, *options):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "archive", "--home", str(home), "serve", "--port", str(self.port), *options],
            cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait_ready(self, timeout=120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}: {self.proc.stderr.read()[-800:]}")
            try:
                if self.get("/api/health", timeout=2)[1].get("ready") is True:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail("serve did not say ready")

    def get(self, path, timeout):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            return r.status, json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()


@pytest.fixture
def serve(home):
    started = []

    def start(*options):
        s = Server(home, *options)
        started.append(s)
        s.wait_ready()
        return s
    yield start
    for s in started:
        s.stop()


def _open_slow(port, n=SLOW):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(PARTIAL)
        socks.append(s)
    return socks


def _still_open(s) -> bool:
    """True when the server has neither closed the connection nor answered on it (nothing to read yet)."""
    s.setblocking(False)
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)


def test_health_and_search_answer_with_150_slow_connections_open(serve):
    server = serve()                       # the defaults of `serve`
    socks = _open_slow(server.port)
    try:
        status, health = server.get("/api/health", timeout=10)
        assert status == 200 and health["ready"] is True
        status, found = server.get("/api/search?q=revenue", timeout=10)
        assert status == 200 and found["hits"]
        status, _ = server.get("/api/health", timeout=10)
        assert status == 200
        # The server answered while holding the slow connections, not by dropping them.
        assert sum(_still_open(s) for s in socks) == SLOW
    finally:
        for s in socks:
            s.close()


def test_the_old_limits_starve_the_server(serve):
    """Waitress's defaults, given explicitly: the slow sockets take every slot and health gets no answer."""
    server = serve("--connection-limit", "100", "--channel-timeout", "120")
    socks = _open_slow(server.port)
    try:
        with pytest.raises(OSError):       # a timeout: the request waits in the backlog, never accepted
            server.get("/api/health", timeout=5)
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("first_bytes", [b"", PARTIAL], ids=["idle", "half-sent request"])
def test_an_idle_connection_is_closed_after_the_channel_timeout(serve, first_bytes):
    server = serve("--channel-timeout", "2")
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        s.sendall(first_bytes)
        try:
            data = s.recv(4096)            # blocks until the server closes the connection (or 15 s pass)
        except ConnectionResetError:
            data = b""
        assert data == b""
    status, _ = server.get("/api/health", timeout=10)
    assert status == 200
