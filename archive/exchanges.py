"""The Q&A as exchanges: which analyst question each executive answer answers, and the call's table of contents.

The rule, from the turns' own roles and sections (nothing is stored for it, so every reader gets it and a
re-read call keeps it right): in the Q&A, an analyst's turn asks a question; the executive turns that follow it
answer that question, until the next analyst turn (a follow-up is a new question) or an operator turn (the
operator hands over to the next analyst: a new exchange). An executive turn with no analyst turn before it in
its exchange (a remark before the first question, a closing word) answers nothing. Turns of unknown role
neither answer nor end an exchange.

Pure functions over turn records (dicts or rows with position, role, section, speaker, title)."""
from __future__ import annotations

from typing import Iterable, Mapping

from .models import ANALYST, EXECUTIVE, OPERATOR, PREPARED, QA


def questions_of(turns: Iterable[Mapping]) -> dict[int, int]:
    """position of each executive Q&A turn that answers a question -> position of that analyst question."""
    out, question = {}, None
    for t in sorted(turns, key=lambda t: t["position"]):
        if t["section"] != QA:
            question = None
        elif t["role"] == ANALYST:
            question = t["position"]
        elif t["role"] == OPERATOR:
            question = None
        elif t["role"] == EXECUTIVE and question is not None:
            out[t["position"]] = question
    return out


def answers_of(turns: Iterable[Mapping]) -> dict[int, list[int]]:
    """position of each analyst Q&A question -> the positions of the executive turns that answer it (maybe none)."""
    turns = list(turns)
    out = {t["position"]: [] for t in turns if t["section"] == QA and t["role"] == ANALYST}
    for answer, question in sorted(questions_of(turns).items()):
        out[question].append(answer)
    return out


def contents(turns: Iterable[Mapping]) -> list[dict]:
    """The call's table of contents: the prepared remarks, then one entry per analyst's exchange (an analyst's
    question, follow-ups and the answers, until another analyst or the operator's next hand-over) and any Q&A
    that comes before the first analyst. Each entry: {kind: prepared|qa|exchange, label, position, speaker,
    title, turns}."""
    out: list[dict] = []
    current = None
    for t in sorted(turns, key=lambda t: t["position"]):
        if t["section"] == PREPARED:
            if current is None or current["kind"] != "prepared":
                current = {"kind": "prepared", "label": "Prepared remarks", "position": t["position"],
                           "speaker": None, "title": None, "turns": 0}
                out.append(current)
        elif t["role"] == ANALYST:
            if current is None or current["kind"] != "exchange" or current["speaker"] != t["speaker"]:
                current = {"kind": "exchange", "label": t["speaker"], "position": t["position"],
                           "speaker": t["speaker"], "title": t.get("title"), "turns": 0}
                out.append(current)
        elif current is None or current["kind"] == "prepared":
            current = {"kind": "qa", "label": "Q&A", "position": t["position"], "speaker": None, "title": None,
                       "turns": 0}
            out.append(current)
        current["turns"] += 1
    return out


def is_question(t: Mapping) -> bool:
    return t["section"] == QA and t["role"] == ANALYST


def is_answer(t: Mapping) -> bool:
    return t["section"] == QA and t["role"] == EXECUTIVE
