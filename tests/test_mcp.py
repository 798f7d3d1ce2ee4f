"""The MCP server, started as a subprocess and driven over stdio by the official SDK's own client, over the
session's shared sample archive (tests/conftest.py), which every tool but save_search only reads (that one is
tested on an archive of its own)."""
from __future__ import annotations

import asyncio
import sys

import jsonschema
import pytest

from archive.models import ROLES

from .conftest import ROOT

pytest.importorskip("mcp")
pytestmark = pytest.mark.slow          # each test starts the server as a subprocess


@pytest.fixture
def home(sample_archive):
    return sample_archive.settings.home


def session_run(home, work):
    from mcp import ClientSession, StdioServerParameters, stdio_client
    params = StdioServerParameters(command=sys.executable, args=["-m", "archive", "--home", str(home), "mcp"],
                                   cwd=str(ROOT), env={"ARCHIVE_ENCODER": "hash", "PYTHONPATH": str(ROOT)})

    async def main():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)
    return asyncio.run(main())


EXPECTED = {"search_transcripts", "get_turn", "get_call", "list_calls", "term_trend", "list_saved_searches",
            "get_saved_search", "save_search"}
WRITES = {"save_search"}           # the one tool that changes the archive (tested on an archive of its own)


def test_tools_schemas_and_every_call(home):
    async def work(s):
        tools = {t.name: t for t in (await s.list_tools()).tools}
        out = {"tools": tools}
        calls = {
            "search_transcripts": {"query": "enterprise cloud revenue", "tickers": ["KC"], "role": "executive",
                                   "limit": 3},
            "get_turn": {"turn_id": "KC-2020Q1:t006", "context": 1},
            "get_call": {"call_id": "KC-2020Q1", "offset": 20, "limit": 5},
            "list_calls": {"ticker": "KC"},
            "term_trend": {"terms": ["cloud", "margins"], "tickers": ["KC", "YETI"], "years": [2020],
                           "split": "company"},
            "list_saved_searches": {},
        }
        for name, args in calls.items():
            out[name] = await s.call_tool(name, args)
        return out
    out = session_run(home, work)
    tools = out["tools"]
    assert set(tools) == EXPECTED
    for name, tool in tools.items():
        assert len(tool.description) > 40, name
        assert tool.annotations.read_only_hint is (name not in WRITES) and tool.annotations.idempotent_hint is True
        assert tool.output_schema and tool.input_schema["type"] == "object"
        if name not in out:
            continue
        result = out[name]
        assert not result.is_error, (name, result.content)
        jsonschema.validate(result.structured_content, tool.output_schema)
    props = tools["search_transcripts"].input_schema["properties"]
    assert props["limit"]["maximum"] == 25 and props["query"]["maxLength"] == 500
    role = next(alt for alt in props["role"].get("anyOf", [props["role"]]) if alt.get("type") != "null")
    assert tuple(role["enum"]) == ROLES
    hits = out["search_transcripts"].structured_content["hits"]
    assert len(hits) == 3 and all(h["ticker"] == "KC" and h["role"] == "executive" for h in hits)
    assert hits[0]["citation"].startswith("Kingsoft Cloud Q1 2020 earnings call, ")
    assert hits[0]["url"].startswith("http://127.0.0.1:8000/calls/KC-2020Q1?turn=")
    turn = out["get_turn"].structured_content
    assert turn["turn"]["speaker"] == "Alexia Quadrani" and len(turn["before"]) == len(turn["after"]) == 1
    call = out["get_call"].structured_content
    assert len(call["turns"]) == 5 and call["next_offset"] == 25 and call["total_turns"] == 28
    assert out["list_calls"].structured_content["calls"][0]["call_id"] == "KC-2020Q1"
    trend = out["term_trend"].structured_content
    assert [(s["ticker"], s["term"]) for s in trend["series"]] == [("KC", "cloud"), ("KC", "margins"),
                                                                   ("YETI", "cloud"), ("YETI", "margins")]
    assert trend["series"][0]["quarters"][0]["period"] == "Q1 2020" and trend["split"] == "company"


def test_save_a_search_then_read_what_it_recorded(tmp_path):
    """save_search on an archive of its own; a call added afterwards is recorded for it; no webhook argument."""
    import shutil

    from archive.config import Settings
    from archive.service import Archive

    from .conftest import SAMPLE
    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir(), later.mkdir()
    for f in SAMPLE.glob("*.json"):
        shutil.copy(f, (later if f.name.startswith("lands-end") else first) / f.name)
    a = Archive.open(Settings(home=tmp_path / "home", encoder="hash"))
    assert a.ingest([first]).ok
    a.reindex()

    async def save(s):
        tools = {t.name: t for t in (await s.list_tools()).tools}
        made = await s.call_tool("save_search", {"name": "Catalogs", "query": "catalog", "mode": "lexical"})
        again = await s.call_tool("save_search", {"name": "Catalogs", "query": "catalog"})
        hooked = await s.call_tool("save_search", {"name": "Hook", "query": "x", "webhook": "http://evil/"})
        return tools, made, again, hooked
    tools, made, again, hooked = session_run(tmp_path / "home", save)
    assert "webhook" not in tools["save_search"].input_schema["properties"]
    assert not made.is_error and made.structured_content["slug"] == "catalogs"
    assert made.structured_content["filters"] == {"mode": "lexical"}
    assert again.is_error and "exists already" in " ".join(c.text for c in again.content)
    assert not hooked.is_error and a.saved_search("Hook")["webhook"] is None     # an unknown argument is dropped
    assert a.ingest([later]).ok
    a.reindex()
    a.close()

    async def read(s):
        return (await s.call_tool("list_saved_searches", {}),
                await s.call_tool("get_saved_search", {"name": "catalogs", "limit": 5}),
                await s.call_tool("get_saved_search", {"name": "nope"}))
    listed, got, missing = session_run(tmp_path / "home", read)
    assert [x["name"] for x in listed.structured_content["saved_searches"]] == ["Catalogs", "Hook"]
    hits = got.structured_content["hits"]
    assert hits and {h["call_id"] for h in hits} == {"LE-2020Q3"} and all(h["found_at"] for h in hits)
    assert missing.is_error and "no saved search" in " ".join(c.text for c in missing.content)


def test_bad_arguments_are_tool_errors_a_model_can_act_on(home):
    async def work(s):
        return [await s.call_tool("search_transcripts", {"query": "*wild*"}),
                await s.call_tool("search_transcripts", {"query": "margin", "limit": 500}),
                await s.call_tool("get_turn", {"turn_id": "NOPE:t001"}),
                await s.call_tool("get_call", {"call_id": "NOPE-2020Q1"})]
    wild, limit, turn, call = session_run(home, work)
    for r in (wild, limit, turn, call):
        assert r.is_error
    text = lambda r: " ".join(c.text for c in r.content)
    assert "wildcards" in text(wild) and "whole words" in text(wild)
    assert "limit" in text(limit)
    assert "no turn 'NOPE:t001'" in text(turn) and "KC-2020Q1:t012" in text(turn)
    assert "no call 'NOPE-2020Q1'" in text(call)


HOSTILE = [
    ("search_transcripts", {"query": "x" * 100_000}),
    ("search_transcripts", {"query": ""}),
    ("search_transcripts", {"query": "NOT NOT margin"}),
    ("search_transcripts", {"query": "((((((((((margin))))))))))"}),
    ("search_transcripts", {"query": "ticker:KC revenue"}),
    ("search_transcripts", {"query": "rev* OR ?argin"}),
    ("search_transcripts", {"query": "margin", "years": [2021, 2019]}),
    ("search_transcripts", {"query": "margin", "years": [0]}),
    ("search_transcripts", {"query": "margin", "years": [2019, 2020, 2021]}),
    ("search_transcripts", {"query": "margin", "quarters": [5]}),
    ("search_transcripts", {"query": "margin", "limit": 0}),
    ("search_transcripts", {"query": "margin", "limit": -1}),
    ("search_transcripts", {"query": "margin", "limit": 10 ** 12}),
    ("search_transcripts", {"query": "margin", "limit": "ten"}),
    ("search_transcripts", {"query": "margin", "tickers": "KC"}),
    ("search_transcripts", {"query": "margin", "tickers": ["<script>"]}),
    ("search_transcripts", {"query": "margin", "role": "ceo"}),
    ("search_transcripts", {"query": "margin", "mode": "sql"}),
    ("search_transcripts", {"query": ["margin"]}),
    ("search_transcripts", {}),
    ("get_turn", {"turn_id": "../../etc/passwd"}),
    ("get_turn", {"turn_id": "KC-2020Q1:t999999"}),
    ("get_turn", {"turn_id": "'; DROP TABLE turns;--"}),
    ("get_turn", {"turn_id": "KC-2020Q1:t001\x00"}),
    ("get_turn", {"turn_id": "KC-2020Q1:t001", "context": 99}),
    ("get_turn", {"turn_id": "x" * 10_000}),
    ("get_call", {"call_id": "../archive.sqlite3"}),
    ("get_call", {"call_id": "KC-2020Q1", "offset": -1}),
    ("get_call", {"call_id": "KC-2020Q1", "limit": 1000}),
    ("list_calls", {"ticker": "KC; DROP"}),
    ("list_calls", {"year": "twenty"}),
    ("term_trend", {"terms": ["*"]}),
    ("term_trend", {"terms": ["cloud"], "years": [1800]}),
    ("term_trend", {"terms": ["a", "b", "c", "d", "e"]}),
    ("term_trend", {"terms": []}),
    ("term_trend", {"terms": "cloud"}),
    ("term_trend", {"terms": ["cloud"], "split": "company"}),
    ("term_trend", {"terms": ["cloud"], "measure": "words"}),
    ("term_trend", {"query": "cloud"}),
    ("no_such_tool", {"query": "margin"}),
]


def test_hostile_arguments_to_every_tool_are_clear_errors_and_the_server_keeps_serving(home):
    """What a model might send: each is refused as a tool error whose text says what was wrong; none crashes the
    server, which answers a normal call afterwards."""

    async def work(s):
        out = []
        for name, args in HOSTILE:
            try:
                r = await s.call_tool(name, args)
                out.append((name, args, r.is_error, " ".join(getattr(c, "text", "") for c in r.content)))
            except Exception as e:            # a protocol-level error is a refusal too, if it says why
                out.append((name, args, True, str(e)))
        ok = await s.call_tool("search_transcripts", {"query": "cloud revenue", "limit": 2})
        return out, ok
    out, ok = session_run(home, work)
    for name, args, is_error, text in out:
        shown = {k: (v[:30] if isinstance(v, str) else v) for k, v in args.items()}
        assert is_error, (name, shown, text[:200])
        assert text.strip() and "Traceback" not in text, (name, shown, text[:300])
    assert not ok.is_error and len(ok.structured_content["hits"]) == 2
