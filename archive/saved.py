"""Saved searches and their alerts, in the SQLite store beside the calls: a search (query and filters) kept under
a name; the hits it gains when new calls become searchable (recorded after each index build: its feed's entries
and what its webhook is sent); when its results were last looked at (what is new since); and the webhook
deliveries queued for it (archive/webhooks.py sends them). Nothing here references the calls' rows, so saved
searches and their history survive reindexing, re-ingesting and replacing calls.

A hit is new for a saved search when its call was not searchable before the index build that found it: a call
added since. A call that is re-read (a corrected file) or re-indexed does not alert again, and a turn already
recorded is never recorded twice."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .errors import BadRequestError, ConflictError, NotFoundError
from .models import SECTION_LABELS
from .request import FIELDS, UNIT_TEXT, SearchRequest

MAX_SAVED = 100          # saved searches per archive (each runs once per index build that adds calls)
MAX_NAME = 80            # characters of a saved search's name
MAX_URL = 2000           # characters of a webhook address
ALERT_HITS = 100         # new hits recorded per saved search per index build (the best, by the search's order)
FEED_ENTRIES = 50        # entries an Atom feed carries (the newest)
KEPT_FIELDS = tuple(f.attr for f in FIELDS if f.attr not in ("page",))      # what of a request is saved

HIT_KEYS = ("turn_id", "call_id", "company", "ticker", "year", "quarter", "date", "speaker", "title", "role",
            "section", "passage", "snippet", "citation", "url", "match", "strength", "rank")


def now_iso() -> str:
    """UTC, microseconds: timestamps compare as strings."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def slug_of(name: str) -> str:
    """The saved search's address: 'Pricing pressure (KC)' -> 'pricing-pressure-kc'; a name with no ASCII letter
    or digit gets 'search-' and a digest of the name."""
    s = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60].strip("-")
    return s or "search-" + hashlib.sha256(name.encode()).hexdigest()[:8]


def check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequestError("a saved search needs a name", "e.g. name=\"Pricing pressure\"", param="name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise BadRequestError(f"the name is too long ({len(name)} characters, at most {MAX_NAME})", param="name")
    if any(not c.isprintable() for c in name):
        raise BadRequestError("the name holds control characters", "use letters, digits and punctuation",
                              param="name")
    return name


def check_webhook(url) -> str | None:
    """A webhook address: http or https, a host, no user:password part, not a link-local address (cloud metadata
    services live there)."""
    if url is None or (isinstance(url, str) and not url.strip()):
        return None
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise BadRequestError(f"the webhook must be a URL of at most {MAX_URL} characters", param="webhook",
                              example="https://hooks.example.com/earnings")
    url = url.strip()
    if any(c.isspace() or not c.isprintable() for c in url):      # urlsplit drops some; the sender's request fails
        raise BadRequestError("the webhook URL holds spaces or control characters", "percent-encode them (%20)",
                              param="webhook", example="https://hooks.example.com/earnings")
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequestError(f"the webhook {url[:80]!r} is not an http(s) URL", param="webhook",
                              example="https://hooks.example.com/earnings")
    if parts.username or parts.password:
        raise BadRequestError("the webhook URL must not carry a user name or password",
                              "put a token in its path or query instead", param="webhook")
    host = parts.hostname
    if link_local(host) or host.lower() == "metadata.google.internal":
        raise BadRequestError(f"the webhook host {host} is a link-local address", "use the receiver's own address",
                              param="webhook")
    return url


def link_local(host: str) -> bool:
    """Whether an address (not a name: the sender checks what a name resolves to) is link-local, IPv4-mapped
    included: where cloud metadata services answer."""
    import ipaddress
    try:
        ip = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_link_local or bool(mapped and mapped.is_link_local)


def described(q: SearchRequest) -> str:
    """'"pricing pressure" in KC 2020-2021 · executives · Q&A · keyword search': the query and what narrows it."""
    years = (str(q.years[0]) if q.years[0] == q.years[1] else f"{q.years[0]}-{q.years[1]}") if q.years else None
    where = " ".join(p for p in (*q.tickers, q.company, years, *(f"Q{x}" for x in q.quarters)) if p)
    parts = [f"\u201c{q.text}\u201d" + (f" in {where}" if where else "")]
    if q.speaker:
        parts.append(f"said by {q.speaker}")
    if q.role:
        parts.append({"executive": "executives", "analyst": "analysts", "operator": "the operator"}.get(q.role, q.role))
    if q.section:
        parts.append(SECTION_LABELS.get(q.section, q.section))
    if q.unit != "turn":
        parts.append(UNIT_TEXT.get(q.unit, q.unit))
    if q.mode != "hybrid":
        parts.append({"lexical": "keyword search", "semantic": "semantic search"}.get(q.mode, q.mode))
    if q.min_score is not None:
        parts.append(f"match at least {q.min_score:g}")
    if q.sort == "date":
        parts.append("newest calls first")
    return " \u00b7 ".join(parts)


def request_of(stored: dict) -> SearchRequest:
    """The saved request, checked again against today's declaration (a field added since takes its default)."""
    known = {k: v for k, v in stored.items() if k in KEPT_FIELDS}
    for k in ("tickers", "quarters"):
        if k in known and known[k] is not None:
            known[k] = tuple(known[k])
    if known.get("years"):
        known["years"] = tuple(known["years"])
    return SearchRequest.build(**known)


def _kept(q: SearchRequest) -> dict:
    return {k: getattr(q, k) for k in KEPT_FIELDS}


@dataclass
class SavedSearch:
    slug: str
    name: str
    request: SearchRequest
    webhook: str | None
    created_at: str
    checked_at: str | None
    checked_generation: str | None
    visited_at: str | None
    last_error: str | None

    def to_dict(self) -> dict:
        return {"name": self.name, "slug": self.slug, "query": self.request.text,
                "request": {k: v for k, v in _kept(self.request).items()}, "webhook": self.webhook,
                "created_at": self.created_at, "checked_at": self.checked_at,
                "checked_generation": self.checked_generation, "visited_at": self.visited_at,
                "last_error": self.last_error}


class SavedSearches:
    """The saved searches of an archive, in its Store (whose methods run the SQL)."""

    def __init__(self, store):
        self.store = store

    # ---- the saved searches --------------------------------------------------------------------------------

    def add(self, name: str, request: SearchRequest, webhook: str | None = None, *, replace: bool = False
            ) -> SavedSearch:
        """Save a search under a name. The same name again is a ConflictError unless replace (then its recorded
        hits and queued deliveries go: they were another search's)."""
        name, webhook = check_name(name), check_webhook(webhook)
        q = request.validated()
        if not q.text.strip():
            raise BadRequestError("a saved search needs a query", "e.g. q=\"pricing pressure\"", param="q")
        slug = slug_of(name)
        outcome = self.store.saved_put(slug, name, json.dumps(_kept(q)), webhook, now_iso(), replace=replace,
                                       most=MAX_SAVED)
        if outcome == "exists":
            raise ConflictError(f"a saved search named {self.get(slug).name!r} exists already",
                                "remove it first, or replace it (--replace; replace=true in the API)")
        if outcome == "full":
            raise ConflictError(f"there are {MAX_SAVED} saved searches already (the most an archive keeps)",
                                "remove one you no longer need")
        return self.get(slug)

    def all(self) -> list[SavedSearch]:
        return [self._of(r) for r in self.store.saved_rows()]

    def get(self, name_or_slug: str) -> SavedSearch:
        key = name_or_slug if isinstance(name_or_slug, str) else ""
        row = self.store.saved_row(key, slug_of(key) if key.strip() else "")
        if row is None:
            import difflib
            close = difflib.get_close_matches(key, self.store.saved_names(), n=2, cutoff=0.5)
            raise NotFoundError(f"no saved search {key[:80]!r}",
                                f"did you mean {' or '.join(close)}?" if close else "list the saved searches",
                                command=None if close else "saved list")
        return self._of(row)

    def remove(self, name_or_slug: str) -> SavedSearch:
        s = self.get(name_or_slug)
        self.store.saved_delete(s.slug)
        return s

    def _of(self, row) -> SavedSearch:
        return SavedSearch(row["slug"], row["name"], request_of(json.loads(row["request"])), row["webhook"],
                           row["created_at"], row["checked_at"], row["checked_generation"], row["visited_at"],
                           row["last_error"])

    # ---- what each one found -------------------------------------------------------------------------------

    def record(self, s: SavedSearch, hits: list, generation: str) -> list[dict]:
        """Record the hits not recorded before for this saved search (the rest are dropped) and, when it has a
        webhook and some are new, queue one delivery with them, in one transaction. Returns the new hits."""
        found = now_iso()
        rows = {}
        for h in hits:
            d = {k: getattr(h, k) for k in HIT_KEYS}
            if h.question:
                d["question"] = {k: h.question.get(k) for k in ("turn_id", "speaker", "title", "text", "url")}
            rows[h.turn_id] = d

        def payload(new_ids):
            new = [rows[t] for t in new_ids]
            return json.dumps({"event": "new_hits", "saved_search": {"name": s.name, "slug": s.slug,
                                                                     "query": s.request.text},
                               "generation": generation, "found_at": found, "count": len(new), "hits": new})
        new_ids = self.store.saved_record(s.slug, [(t, d["call_id"], json.dumps(d)) for t, d in rows.items()],
                                          found, generation, (s.webhook, payload) if s.webhook else None)
        return [rows[t] for t in new_ids]

    def failed(self, s: SavedSearch, generation: str, error: str) -> None:
        self.store.saved_failed(s.slug, now_iso(), generation, error[:500])

    def recorded(self, s: SavedSearch, limit: int = FEED_ENTRIES) -> list[dict]:
        """The hits recorded for it, newest first (within one build: in the search's order)."""
        return [{**json.loads(r["hit"]), "found_at": r["found_at"], "generation": r["generation"]}
                for r in self.store.saved_hits(s.slug, limit)]

    def found_since(self, s: SavedSearch, since: str | None) -> dict[str, str]:
        """turn_id -> when it was recorded, for the hits recorded after `since` (all of them when None)."""
        return self.store.saved_found_since(s.slug, since or "")

    def counts(self, s: SavedSearch) -> dict:
        return self.store.saved_counts(s.slug, s.visited_at or "")

    def visited(self, s: SavedSearch) -> None:
        self.store.saved_visited(s.slug, now_iso())

    # ---- webhook deliveries (the outbox) -------------------------------------------------------------------

    def claim_due(self, now: float, lease: float) -> dict | None:
        """The next delivery due, held by the caller for `lease` seconds (another sender skips it meanwhile); None
        when nothing is due."""
        return self.store.delivery_claim(now, lease)

    def delivered(self, delivery_id: int) -> None:
        self.store.delivery_done(delivery_id, now_iso())

    def retry_later(self, delivery_id: int, error: str, next_at: float | None) -> None:
        """One more failed attempt: try again at next_at, or give up (next_at None)."""
        self.store.delivery_retry(delivery_id, error[:500], next_at)

    def deliveries(self, slug: str | None = None, limit: int = 50) -> list[dict]:
        return self.store.deliveries(slug, limit)

    def next_due(self) -> float | None:
        """When the next pending delivery is due (unix time), or None."""
        return self.store.delivery_next_due()
