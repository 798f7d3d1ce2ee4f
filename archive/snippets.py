"""What a hit shows: the snippet (the passage's sentence that best matches the query, words marked), the
citation an analyst or a chat tool quotes, and the link to the turn in the call viewer.

Which words match is the lexical engine's answer, not this module's: a marker (text -> [(start, end)] character
spans) comes from the engine that ranked the hit (LexicalEngine.marks: Whoosh's analyzer, tantivy's snippet
generator), so what is marked is what the engine matched."""
from __future__ import annotations

import html
import re
from typing import Callable
from urllib.parse import quote

from .models import SECTION_LABELS, period_text

Marker = Callable[[str], list[tuple[int, int]]]

_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[\"'“(\[]?[A-Z0-9$])")
MAX_PASSAGE = 2_000          # characters of the matching passage a hit carries ...
MAX_HIT_TEXT = 6_000         # ... and of its turn (the whole turn: the turn endpoint)
SEMANTIC_SNIPPETS = 1        # hits per page whose snippet sentence may be chosen by embedding (about 20 ms each)
SNIPPET_SENTENCES = 5        # ... among their first sentences, embedded in one batch


def clip(text: str, limit: int) -> tuple[str, bool]:
    """(text cut to about `limit` characters at a word boundary with ' …', whether it was cut)."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.8 else cut).rstrip() + " …", True


def no_marks(text: str) -> list[tuple[int, int]]:
    return []


def sentences_of(passage: str) -> list[str]:
    return [s for s in _SENTENCE.split(passage.replace("\n\n", " ")) if s.strip()] or [passage]


MAX_SENTENCES = 3           # matching sentences a snippet shows
_BOUNDARY = re.compile(r"[.?!][\"'”)\]]*\s+|\n")
_SENTENCE_END = re.compile(r"[.?!][\"'”)\]]*(?=\s|$)")
REACH = 600                 # characters a passage is widened by, at most, each way


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of a passage of text widened to whole sentences: back to the start of the sentence it
    begins in, on to the end of the one it ends in (a chunk is cut by words, not sentences)."""
    lo = max(0, start - REACH)
    begins = [m.end() for m in _BOUNDARY.finditer(text, lo, start + 1) if m.end() <= start]
    a = begins[-1] if begins else 0 if lo == 0 else start
    m = _SENTENCE_END.search(text, max(end - 1, a), min(len(text), end + REACH))
    return a, m.end() if m else end


def snippet(passage: str, marker: Marker, max_chars: int = 240, closest: int | None = None,
            sentences: int = MAX_SENTENCES) -> str:
    """Up to `sentences` sentences of the passage that hold the most distinct matched words, in their order in
    the passage and joined by ' … ', HTML-escaped, with the matching words in <mark>; each starts at a sentence
    boundary (pass the passage widened by sentence_bounds) and is cut to about max_chars. When no sentence
    matches (a hit found by meaning), the sentence `closest` names (the one nearest the query in embedding
    space, see closest_sentences) or else the first."""
    parts = sentences_of(passage)
    marks = [marker(x) for x in parts]
    scores = [len({x[a:b].lower() for a, b in m}) for x, m in zip(parts, marks)]
    chosen = sorted(sorted((i for i in range(len(parts)) if scores[i]), key=lambda i: (-scores[i], i))[:sentences])
    if not chosen:
        chosen = [closest if closest is not None and closest < len(parts) else 0]
    out = []
    for n, i in enumerate(chosen):
        text, spans = parts[i], marks[i]
        room = max(max_chars, min((b for _, b in spans), default=0) + 60)     # long enough to hold its first mark
        if len(text) > room:            # the ' … ' that joins it to the next one says it was cut
            text = text[:room].rsplit(" ", 1)[0] + (" …" if n == len(chosen) - 1 else "")
        out.append(highlight(text, spans))
    return " … ".join(out)


def closest_sentences(passages: list[tuple[str, str]], marker: Marker, encode, query_vector) -> dict[str, int]:
    """For the first hits whose passage shares no word with the query (found by meaning): hit id -> the index
    of its sentence nearest the query. passages: [(hit id, passage)] in rank order. Their sentences are
    embedded in one batch (one model call per page)."""
    if query_vector is None:
        return {}
    todo = []
    for hid, passage in passages:
        sentences = sentences_of(passage)
        if len(sentences) > 1 and not any(marker(x) for x in sentences):
            todo.append((hid, sentences[:SNIPPET_SENTENCES]))
            if len(todo) == SEMANTIC_SNIPPETS:
                break
    if not todo:
        return {}
    scores = encode([x[:200] for _, sentences in todo for x in sentences]) @ query_vector
    out, at = {}, 0
    for hid, sentences in todo:
        out[hid] = int(scores[at:at + len(sentences)].argmax())
        at += len(sentences)
    return out


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """HTML-escaped text with the character spans in <mark> (overlapping or out-of-range spans are merged or
    clipped)."""
    out, at = [], 0
    for a, b in sorted(spans):
        a, b = max(a, at), min(b, len(text))
        if a >= b:
            continue
        out.append(html.escape(text[at:a], quote=True))
        out.append(f"<mark>{html.escape(text[a:b], quote=True)}</mark>")
        at = b
    out.append(html.escape(text[at:], quote=True))
    return "".join(out)


_ABBREVIATIONS = [("chief executive officer", "CEO"), ("chief financial officer", "CFO"),
                  ("chief operating officer", "COO"), ("chief technology officer", "CTO"),
                  ("investor relations", "IR")]


def short_title(title: str | None) -> str | None:
    """'Executive Vice President, Chief Financial Officer' -> 'CFO'; short titles and firms stay as they are."""
    if not title:
        return None
    low = title.lower()
    found = [abbr for words, abbr in _ABBREVIATIONS if words in low]
    if found:
        return "/".join(dict.fromkeys(found))
    return title if len(title) <= 40 else title[:37].rstrip() + "..."


def citation(company, ticker, year, quarter, speaker, title, section) -> str:
    """'Kingsoft Cloud Q1 2020 earnings call, Haijian He (CFO), Q&A'."""
    who = company or ticker or "Unknown company"
    period = period_text(year, quarter)
    t = short_title(title)
    return f"{who}{' ' + period if period else ''} earnings call, {speaker}" + (f" ({t})" if t else "") + \
        f", {SECTION_LABELS.get(section, section)}"


def turn_url(base_url: str, call_id: str, turn_id: str) -> str:
    return (f"{base_url.rstrip('/')}/calls/{quote(call_id)}?turn={quote(turn_id, safe=':')}"
            f"#{turn_id.rsplit(':', 1)[1]}")
