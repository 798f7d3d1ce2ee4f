"""The MCP server, started as a subprocess and driven over stdio by the official SDK's own client."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import jsonschema
import pytest

from .conftest import ROOT, SAMPLE

pytest.importorskip("mcp")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    h = tmp_path_factory.mktemp("mcp")
    env = {**os.environ, "ARCHIVE_ENCODER": "hash"}
    for args in (["ingest", str(SAMPLE), "-q"], ["reindex", "-q"]):
        subprocess.run([sys.executable, "-m", "archive", "--home", str(h), *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    return h


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


EXPECTED = {"search_transcripts", "get_turn", "get_call", "list_calls", "term_trend"}


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
            "term_trend": {"query": "cloud", "years": [2020]},
        }
        for name, args in calls.items():
            out[name] = await s.call_tool(name, args)
        return out
    out = session_run(home, work)
    tools = out["tools"]
    assert set(tools) == EXPECTED
    for name, tool in tools.items():
        assert len(tool.description) > 40, name
        assert tool.annotations.read_only_hint is True and tool.annotations.idempotent_hint is True
        assert tool.output_schema and tool.input_schema["type"] == "object"
        result = out[name]
        assert not result.is_error, (name, result.content)
        jsonschema.validate(result.structured_content, tool.output_schema)
    props = tools["search_transcripts"].input_schema["properties"]
    assert props["limit"]["maximum"] == 25 and props["query"]["maxLength"] == 500
    assert set(json.dumps(props["role"])) and "executive" in json.dumps(props["role"])
    hits = out["search_transcripts"].structured_content["hits"]
    assert len(hits) == 3 and all(h["ticker"] == "KC" and h["role"] == "executive" for h in hits)
    assert hits[0]["citation"].startswith("Kingsoft Cloud Q1 2020 earnings call, ")
    assert hits[0]["url"].startswith("http://127.0.0.1:8000/calls/KC-2020Q1?turn=")
    turn = out["get_turn"].structured_content
    assert turn["turn"]["speaker"] == "Alexia Quadrani" and len(turn["before"]) == len(turn["after"]) == 1
    call = out["get_call"].structured_content
    assert len(call["turns"]) == 5 and call["next_offset"] == 25 and call["total_turns"] == 28
    assert out["list_calls"].structured_content["calls"][0]["call_id"] == "KC-2020Q1"
    assert out["term_trend"].structured_content["quarters"][0]["period"] == "Q1 2020"


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
