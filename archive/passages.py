"""What the indexes see of a chunk: its text, prefixed with the call's context (who, which period, who speaks),
so that 'Globe Life sales agents' can find a turn that never names the company. One definition for every index
build and for the embedding cache (vectors are keyed by the exact embedded text).

The lexical index also gets the company's name beside its ticker, in a context field beside the text (measured on
the 364 development calls: paraphrase R@10 of the lexical leg 0.629 -> 0.726, of the hybrid 0.823 -> 0.871, other
kinds within 0.01). The embedded text keeps the ticker only, so that the cached vectors of the whole corpus stay
valid; embedding the name too is the next thing to measure when the corpus is re-embedded."""
from __future__ import annotations

from .models import period_text


def context(ticker: str | None, company: str | None, year: int | None, quarter: int | None, speaker: str,
            with_company: bool = False) -> str:
    names = [ticker] if ticker else []
    if company and (with_company or not ticker) and company != ticker:
        names.append(company)
    period = period_text(year, quarter)
    head = " ".join(p for p in (*names, period) if p)
    return f"{head}. {speaker}: " if head else f"{speaker}: "


def passage_text(row: dict) -> str:
    """The text embedded for a chunk. row: a chunk joined with its turn and call (see store.passages_sql)."""
    return context(row.get("ticker"), row.get("company"), row.get("fiscal_year"), row.get("fiscal_quarter"),
                   row["speaker"]) + row["text"]


def indexed_text(row: dict) -> dict:
    """The fields the lexical index analyses for a chunk: its text, and its context with the company's name as
    well, in a field of its own (so a trend counts what was said, not who said it)."""
    return {"text": row["text"], "context": context(row.get("ticker"), row.get("company"), row.get("fiscal_year"),
                                                    row.get("fiscal_quarter"), row["speaker"], with_company=True)}
