"""The query language users type: words, "exact phrases", -excluded words or phrases, and OR between
alternatives. Nothing else: no wildcards, fields, ranges or parentheses, a length cap, and every refusal is a
QuerySyntaxError whose message names the problem and the fix. Parsing is linear in the input."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 500
MAX_CLAUSES = 32
# A figure in a query (money, a percentage, a decimal: $0.83, 17.9%, 41.1) names what the user is after more
# exactly than any word around it ('q3 revenue $41.1 million'): both lexical engines count it FIGURE_BOOST times.
# Measured on the development set's summary queries, tantivy lexical R@10 0.647 (x1) / 0.767 (x2) / 0.740 (x4),
# the other kinds unchanged (docs/scale.md).
FIGURE_BOOST = 2.0
_FIGURE = re.compile(r"^\$|%$|\d[.,]\d")


def is_figure(term: str) -> bool:
    """Whether an analysed term is a figure: '$0.83', '10%', '17.9', '1,200' (not a year or 'q3')."""
    return bool(_FIGURE.search(term))


class QuerySyntaxError(ValueError):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Clause:
    text: str
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[tuple[Clause, ...], ...]      # each group: alternatives joined by OR
    excluded: tuple[Clause, ...] = ()
    raw: str = ""

    @property
    def free_text(self) -> str:
        """The query as plain words for the semantic leg: operators and exclusions removed."""
        return " ".join(" OR ".join(c.text for c in g) if len(g) > 1 else g[0].text for g in self.groups)

    @property
    def phrases(self) -> list[str]:
        return [c.text for g in self.groups for c in g if c.phrase]

    @property
    def words(self) -> list[str]:
        return [c.text for g in self.groups for c in g]


_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_FORBIDDEN = [
    (re.compile(r"[*?]"), "wildcards (* and ?) are not supported", "type whole words"),
    (re.compile(r"[()]"), "parentheses are not supported", 'use OR between alternatives: margin OR margins'),
    (re.compile(r"[\[\]{}]"), "ranges and brackets are not supported", "use the year and quarter filters"),
    (re.compile(r"(?<![\w$])[~^]|[~^](?=\d)"), "fuzzy and boost operators (~ ^) are not supported", "remove them"),
    (re.compile(r"^[A-Za-z_]\w*:(?!/)\S"), "field names are not supported in the query", "use the filters instead "
                                                                                       "(ticker, year, speaker, ...)"),
]


def parse(text: str) -> ParsedQuery:
    if not isinstance(text, str):
        raise QuerySyntaxError("the query must be text", "send q as a string")
    if len(text) > MAX_CHARS:
        raise QuerySyntaxError(f"the query is too long ({len(text)} characters, at most {MAX_CHARS})",
                               "shorten it to the words that matter")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    if not text:
        raise QuerySyntaxError("the query is empty", "type some words, e.g. gross margin outlook")
    if text.count('"') % 2:
        raise QuerySyntaxError("a quotation mark is not closed", 'close the phrase: "free cash flow"')
    groups: list[list[Clause]] = []
    excluded: list[Clause] = []
    pending_or = False
    for tok in _TOKEN.findall(text):
        if tok in ("AND", "NOT", "&&", "||", "!"):
            raise QuerySyntaxError(f"the operator {tok} is not supported",
                                   "words are combined automatically; use -word to exclude, OR for alternatives")
        if tok == "OR":
            if not groups or pending_or:
                raise QuerySyntaxError("OR must stand between two words or phrases", "e.g. margin OR margins")
            pending_or = True
            continue
        if not tok.strip("-+–—"):
            continue                       # a dash standing alone is punctuation ("revenue - guidance")
        negated = tok.startswith("-") and len(tok) > 1
        body = tok[1:] if negated else tok
        if body.startswith('"'):
            inner = body.strip('"').strip()
            if not inner:
                continue
            clause = Clause(" ".join(inner.split()), phrase=True)
        else:
            for pattern, message, hint in _FORBIDDEN:
                if pattern.search(body):
                    raise QuerySyntaxError(f"{message}: {body[:40]!r}", hint)
            clause = Clause(body)
            if clause.text.startswith("-") or clause.text in ("+", "-"):
                raise QuerySyntaxError(f"{tok[:40]!r} is not a word", "use -word to exclude a word")
        if negated:
            if pending_or:
                raise QuerySyntaxError("an excluded word cannot be an OR alternative", "write: a OR b -c")
            excluded.append(clause)
        elif pending_or:
            groups[-1].append(clause)
            pending_or = False
        else:
            groups.append([clause])
        if len(excluded) + sum(map(len, groups)) > MAX_CLAUSES:
            raise QuerySyntaxError(f"the query has more than {MAX_CLAUSES} words and phrases",
                                   "keep the words that matter")
    if pending_or:
        raise QuerySyntaxError("OR must stand between two words or phrases", "e.g. margin OR margins")
    if not groups:
        raise QuerySyntaxError("the query only excludes", "add a word to look for, e.g. guidance -covid")
    return ParsedQuery(tuple(tuple(g) for g in groups), tuple(excluded), text)


def plain(text: str, max_chars: int = MAX_CHARS) -> str:
    """Any text as a plain query: operator characters become spaces, operator words lower case, cut to the cap
    at a word boundary. For pasted sentences and evaluation sets, not for what a user typed on purpose."""
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    text = re.sub(r'[*?()\[\]{}~^"]', " ", text)
    text = re.sub(r"\b(AND|OR|NOT)\b", lambda m: m[0].lower(), text)
    text = re.sub(r"(?<!\S)[-+]+", " ", text)
    text = re.sub(r"(\w):(?=\S)", r"\1 ", text)
    text = " ".join(t for t in text.split() if t.strip("!&|"))     # operator-only tokens (!, &&, ||)
    return text if len(text) <= max_chars else text[:max_chars].rsplit(" ", 1)[0]
