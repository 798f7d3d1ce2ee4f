"""What the indexes see of a chunk: its text, prefixed with the call's context (who, which period, who speaks),
so that 'Globe Life sales agents' can find a turn that never names the company. One definition, used by every
index build and by the embedding cache (vectors are keyed by this exact text)."""
from __future__ import annotations


def context(ticker: str | None, company: str | None, year: int | None, quarter: int | None, speaker: str) -> str:
    who = ticker or company or ""
    period = f"Q{quarter} {year}" if year and quarter else (str(year) if year else "")
    head = " ".join(p for p in (who, period) if p)
    return f"{head}. {speaker}: " if head else f"{speaker}: "


def passage_text(row: dict) -> str:
    """row: a chunk joined with its turn and call (ticker, company, fiscal_year, fiscal_quarter, speaker, text)."""
    return context(row.get("ticker"), row.get("company"), row.get("fiscal_year"), row.get("fiscal_quarter"),
                   row["speaker"]) + row["text"]
