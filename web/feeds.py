"""The Atom feed of a saved search, GET /feeds/<slug>.atom: one entry per hit it recorded (the newest first, at
most archive.saved.FEED_ENTRIES), made with feedgen. Feeds are read without the API key (a feed reader cannot send
headers): like the pages, they show what the archive holds, and nothing about the webhook."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html import escape
from urllib.parse import quote, urlsplit

from flask import Blueprint, current_app, request

from archive.errors import ArchiveError, NotFoundError

bp = Blueprint("feeds", __name__)
ATOM = "application/atom+xml; charset=utf-8"
QUESTION_CHARS = 600            # of the question an answer answers, in its entry's content
# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF): left out of a feed.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def archive():
    return current_app.config["ARCHIVE"]


@bp.get("/feeds/<slug>.atom")
def feed(slug):
    try:
        saved, entries = archive().saved_feed(slug)
    except NotFoundError:
        return _plain(404, "no such feed: no saved search has this name (a saved search's feed goes when it is "
                           "removed; the saved searches are listed at /saved)")
    except ArchiveError as e:
        return _plain(e.status, e.message)
    resp = current_app.response_class(atom(saved, entries), content_type=ATOM)
    resp.last_modified = _time(entries[0]["found_at"] if entries else saved["created_at"])
    resp.add_etag()
    return resp.make_conditional(request)


def _plain(status: int, message: str):
    """An error as a feed reader can show it: plain text, not the HTML page."""
    return current_app.response_class(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def feed_id(saved: dict) -> str:
    """A tag: URI (RFC 4151) for this saved search: the public host, the day it was saved, its slug and the moment
    it was saved (one saved again under the same name after a removal is another feed)."""
    host = urlsplit(archive().settings.base_url).hostname or "localhost"
    created = saved["created_at"]
    return f"tag:{host},{created[:10]}:saved-search/{saved['slug']}/{re.sub(r'[^0-9TZ]', '', created)}"


def entry_id(saved: dict, turn_id: str) -> str:
    return f"{feed_id(saved)}/{quote(turn_id, safe=':')}"


def atom(saved: dict, entries: list[dict]) -> bytes:
    from feedgen.feed import FeedGenerator
    fg = FeedGenerator()
    fg.id(feed_id(saved))
    fg.title(_xml(f"{saved['name']}: new hits"))
    fg.subtitle(_xml(f"Earnings-call turns that match {saved['described']}, from the calls "
                     "added since it was saved"))
    fg.link(href=saved["feed_url"], rel="self", type="application/atom+xml")
    fg.link(href=saved["url"], rel="alternate", type="text/html")
    fg.author({"name": "Earnings-call archive"})
    fg.generator("Earnings-call archive")
    fg.updated(_time(entries[0]["found_at"] if entries else saved["created_at"]))
    for h in entries:
        fe = fg.add_entry(order="append")         # the newest first, as recorded() gives them
        fe.id(entry_id(saved, h["turn_id"]))
        fe.title(_xml(h["citation"]))
        fe.link(href=h["url"], rel="alternate", type="text/html")
        found = _time(h["found_at"])
        fe.updated(found)
        fe.published(found)
        fe.author({"name": _xml(h.get("speaker") or "Unknown speaker")})
        if h.get("ticker"):
            fe.category(term=_xml(h["ticker"]))
        fe.summary(_xml(h["snippet"]), type="html")
        fe.content(_xml(content(h)), type="html")
    return fg.atom_str(pretty=True)


def content(h: dict) -> str:
    """An entry's HTML: the snippet (transcript text already escaped, the query's words in <mark>), who said it,
    and for an answer the question it answers (escaped here)."""
    who = escape(h.get("speaker") or "Unknown speaker") + (f", {escape(h['title'])}" if h.get("title") else "")
    parts = [f"<p>{h['snippet']}</p>", f"<p>&mdash; {who}</p>"]
    q = h.get("question")
    if q and q.get("text"):
        text = q["text"]
        if len(text) > QUESTION_CHARS:
            text = text[:QUESTION_CHARS].rsplit(" ", 1)[0] + " \u2026"
        asker = escape(q.get("speaker") or "an analyst") + (f", {escape(q['title'])}" if q.get("title") else "")
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())
        parts.append(f"<blockquote><p><b>Answering the question of {asker}:</b></p>{paragraphs}</blockquote>")
    return "\n".join(parts)


def _xml(text: str) -> str:
    return NOT_XML.sub("", text or "")


def _time(iso: str) -> datetime:
    try:
        return datetime.strptime(iso[:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
