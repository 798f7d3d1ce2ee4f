"""Webhook deliveries: the saved searches' new hits POSTed as JSON to their webhooks, from the outbox in the store
(archive/saved.py), by a sender that never runs inside an ingest or a reindex: those only queue. The web server
runs one in a background thread; `archive saved deliver` runs one from the command line (for cron, or when no
server runs). Several senders may run at once: each delivery is leased to one of them while it is tried.

A delivery that fails (a refused connection, a timeout, an answer other than 2xx) is tried again after
backoff * 2**(attempts - 1) seconds (at most MAX_BACKOFF, with a little jitter), up to `attempts` times, then given
up; every failure is logged (logger `archive.webhooks`) and kept with the delivery (`archive saved list`,
`GET /api/saved/<name>`). A receiver may see a delivery twice (a sender stopped after the receiver answered):
the `X-Archive-Delivery` header and the payload's `delivery_id` are the same both times."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .saved import SavedSearches, link_local

log = logging.getLogger("archive.webhooks")
MAX_BACKOFF = 3600.0
USER_AGENT = "earnings-archive-webhooks/1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A receiver that redirects has not received the delivery (and a POST is not re-sent elsewhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _refused(url: str) -> str | None:
    """Why a delivery must not go to this address: its host resolves to a link-local address (a cloud metadata
    service), however the address is written (a name, a decimal number ...). None when it may go, or when the name
    does not resolve (then the attempt fails and is retried as any other)."""
    import socket
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return None
    bad = sorted({a[4][0] for a in found if link_local(a[4][0])})
    return f"the webhook host {parts.hostname} resolves to a link-local address ({bad[0]})" if bad else None


@dataclass
class Attempt:
    delivery_id: int
    slug: str
    ok: bool
    status: int | None
    error: str | None
    attempts: int
    gave_up: bool = False


class Sender:
    """Sends the due deliveries of one archive's outbox."""

    def __init__(self, saved: SavedSearches, *, timeout: float = 5.0, attempts: int = 8, backoff: float = 30.0,
                 secret: str = ""):
        self.saved, self.timeout, self.max_attempts, self.backoff, self.secret = saved, timeout, attempts, backoff, secret
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def send_due(self, limit: int = 100) -> list[Attempt]:
        """Try every delivery due now (at most `limit`), one at a time."""
        out = []
        while len(out) < limit and not self._stop.is_set():
            d = self.saved.claim_due(time.time(), lease=self.timeout + 30)
            if d is None:
                break
            out.append(self._attempt(d))
        return out

    def _attempt(self, d: dict) -> Attempt:
        body = json.dumps({**json.loads(d["payload"]), "delivery_id": d["id"]}).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Archive-Event": "new_hits",
                   "X-Archive-Delivery": str(d["id"])}
        if self.secret:
            headers["X-Archive-Signature"] = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        status, error = None, None
        refused = _refused(d["url"])
        if refused:                   # never sent; trying again would not change where the name leads
            self.saved.retry_later(d["id"], refused, None)
            log.error("webhook delivery %s for %r to %s: %s; not sent", d["id"], d["slug"], d["url"], refused)
            return Attempt(d["id"], d["slug"], False, None, refused, d["attempts"] + 1, gave_up=True)
        try:
            with _OPENER.open(urllib.request.Request(d["url"], data=body, headers=headers, method="POST"),
                              timeout=self.timeout) as resp:
                status = resp.status
                resp.read(65536)
        except urllib.error.HTTPError as e:
            status, error = e.code, f"the receiver answered {e.code} {e.reason}"
        except urllib.error.URLError as e:
            error = f"could not reach the receiver: {e.reason}"
        except (TimeoutError, OSError) as e:
            error = f"could not reach the receiver: {e or type(e).__name__}"
        except ValueError as e:          # a malformed URL that got past the check
            error = f"not a usable address: {e}"
        if error is None and status is not None and not 200 <= status < 300:
            error = f"the receiver answered {status}"
        n = d["attempts"] + 1
        if error is None:
            self.saved.delivered(d["id"])
            log.info("webhook delivery %s for %r: delivered (%s)", d["id"], d["slug"], status)
            return Attempt(d["id"], d["slug"], True, status, None, n)
        gave_up = n >= self.max_attempts
        wait = min(MAX_BACKOFF, self.backoff * 2 ** (n - 1)) * random.uniform(0.9, 1.1)
        self.saved.retry_later(d["id"], error, None if gave_up else time.time() + wait)
        if gave_up:
            log.error("webhook delivery %s for %r to %s: %s; gave up after %d attempts", d["id"], d["slug"],
                      d["url"], error, n)
        else:
            log.warning("webhook delivery %s for %r to %s: %s; attempt %d of %d, next in %.0fs", d["id"], d["slug"],
                        d["url"], error, n, self.max_attempts, wait)
        return Attempt(d["id"], d["slug"], False, status, error, n, gave_up)

    # ---- in the background ---------------------------------------------------------------------------------

    def start(self, poll: float = 2.0) -> "Sender":
        """Send in a daemon thread: due deliveries at once, then whenever woken or every `poll` seconds (other
        processes queue deliveries too)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, args=(poll,), name="webhooks", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, poll: float) -> None:
        while not self._stop.is_set():
            try:
                self.send_due()
            except Exception as e:       # the store busy or gone: never end the thread on it
                log.warning("webhook sender: %s: %s", type(e).__name__, e)
            due = self.saved.next_due() if not self._stop.is_set() else None
            wait = poll if due is None else max(0.05, min(poll, due - time.time()))
            self._wake.wait(wait)
            self._wake.clear()

    def until_done(self, give_up_after: float) -> list[Attempt]:
        """Send now and keep retrying the pending ones as their backoff allows, for at most give_up_after seconds
        (`saved deliver --wait`)."""
        end, out = time.time() + give_up_after, []
        while not self._stop.is_set():
            out += self.send_due()
            due = self.saved.next_due()
            if due is None or due > end:
                break
            time.sleep(max(0.05, due - time.time()))
        return out
