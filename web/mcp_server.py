"""The MCP server: the archive's lookups as tools for chat assistants (official Python SDK, stdio or
streamable HTTP), over the same Archive service as the web app. Every tool is read-only and idempotent, declares
its input bounds and its output schema, and answers a bad argument with a tool error a model can act on."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from archive.errors import ArchiveError
from archive.search import SearchQuery
from archive.service import Archive

INSTRUCTIONS = (
    "Search and read earnings-call transcripts. Use search_transcripts to find what executives or analysts said "
    "(by meaning or exact words, filtered by ticker, fiscal year, quarter, speaker, role and section); each hit has "
    "a turn_id, a citation and a url to cite. Use get_turn to read a hit in context, get_call for a whole call, "
    "list_calls to see which calls exist, term_trend to see how often a topic comes up per quarter.")


class Hit(BaseModel):
    turn_id: str = Field(description="Stable id of the speaker turn, e.g. KC-2020Q1:t012; pass it to get_turn.")
    call_id: str
    company: str | None
    ticker: str | None
    period: str = Field(description="Fiscal period, e.g. Q1 2020.")
    date: str | None = Field(description="Call date (YYYY-MM-DD) when known.")
    speaker: str
    title: str | None
    role: str
    section: str = Field(description="prepared (prepared remarks) or qa (questions and answers).")
    passage: str = Field(description="The passage of the turn that matched.")
    citation: str = Field(description="Ready to cite, e.g. 'Kingsoft Cloud Q1 2020 earnings call, Haijian He "
                                      "(CFO), Q&A'.")
    url: str = Field(description="Link to the call viewer at this turn.")


class SearchOutput(BaseModel):
    hits: list[Hit]
    total: int = Field(description="Matching turns in the result window (at most 100).")


class TurnText(BaseModel):
    turn_id: str
    position: int
    speaker: str
    title: str | None
    role: str
    section: str
    text: str


class TurnOutput(BaseModel):
    turn: TurnText
    before: list[TurnText]
    after: list[TurnText]
    call_id: str
    company: str | None
    ticker: str | None
    period: str
    citation: str
    url: str


class Participant(BaseModel):
    name: str
    title: str | None
    role: str


class CallOutput(BaseModel):
    call_id: str
    company: str | None
    ticker: str | None
    period: str
    date: str | None
    participants: list[Participant]
    turns: list[TurnText]
    total_turns: int
    next_offset: int | None = Field(description="Pass as offset to read the next page of turns; null at the end.")


class CallSummary(BaseModel):
    call_id: str
    company: str | None
    ticker: str | None
    period: str
    date: str | None
    turns: int


class CallsOutput(BaseModel):
    calls: list[CallSummary]
    total: int


class Quarter(BaseModel):
    period: str
    calls_mentioning: int
    calls_on_file: int
    share: float
    turns: int


class TrendOutput(BaseModel):
    query: str
    quarters: list[Quarter]


def _period(year, quarter) -> str:
    return f"Q{quarter} {year}" if year and quarter else (str(year) if year else "unknown")


def _turn(t: dict) -> TurnText:
    return TurnText(**{k: t[k] for k in TurnText.model_fields})


def build_server(archive: Archive):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    server = MCPServer(name="earnings-call-archive", instructions=INSTRUCTIONS)
    read_only = ToolAnnotations(readOnlyHint=True, idempotentHint=True, destructiveHint=False, openWorldHint=False)

    def failing(e: ArchiveError):
        return ToolError(f"{e.message}" + (f" ({e.hint})" if e.hint else ""))

    @server.tool(annotations=read_only, structured_output=True)
    def search_transcripts(
        query: Annotated[str, Field(min_length=1, max_length=500, description=(
            'What to find: plain words or a question ("why did gross margin fall"), "exact phrases", '
            "-excluded words, a OR b."))],
        tickers: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z0-9.\-]{1,12}$")]] | None,
                           Field(max_length=20, description="Only these tickers, e.g. [\"KC\"].")] = None,
        years: Annotated[list[Annotated[int, Field(ge=1900, le=2200)]] | None, Field(
            min_length=1, max_length=2, description="Fiscal year [2021] or inclusive range [2019, 2021].")] = None,
        quarters: Annotated[list[Literal[1, 2, 3, 4]] | None, Field(description="Fiscal quarters.")] = None,
        speaker: Annotated[str | None, Field(max_length=200, description="Exact speaker name.")] = None,
        role: Annotated[Literal["executive", "analyst", "operator"] | None, Field(
            description="Only executives (management) or analysts (questions).")] = None,
        section: Annotated[Literal["prepared", "qa"] | None, Field(
            description="prepared remarks or qa (questions and answers).")] = None,
        mode: Annotated[Literal["hybrid", "lexical", "semantic"], Field(
            description="hybrid (default) combines exact words and meaning.")] = "hybrid",
        limit: Annotated[int, Field(ge=1, le=25, description="Hits to return.")] = 8,
    ) -> SearchOutput:
        """Search earnings-call transcripts for what was said, by meaning and by exact words. Returns speaker
        turns (best passage each) with company, period, speaker and role, a citation string and a link."""
        try:
            yr = (years[0], years[-1]) if years else None
            q = SearchQuery(text=query, tickers=tuple(tickers or ()), years=yr,
                            quarter=quarters[0] if quarters and len(quarters) == 1 else (tuple(quarters) if quarters else None),
                            speaker=speaker, role=role, section=section, mode=mode, limit=limit)
            res = archive.search(q)
        except ArchiveError as e:
            raise failing(e) from None
        return SearchOutput(total=res.total, hits=[Hit(
            turn_id=h.turn_id, call_id=h.call_id, company=h.company, ticker=h.ticker, period=_period(h.year, h.quarter),
            date=h.date, speaker=h.speaker, title=h.title, role=h.role, section=h.section, passage=h.passage,
            citation=h.citation, url=h.url) for h in res.hits])

    @server.tool(annotations=read_only, structured_output=True)
    def get_turn(
        turn_id: Annotated[str, Field(min_length=3, max_length=80, description="A turn_id from search_transcripts.")],
        context: Annotated[int, Field(ge=0, le=10, description="Turns to include either side.")] = 2,
    ) -> TurnOutput:
        """Read one speaker turn in full, with the turns around it, and its citation."""
        try:
            t = archive.get_turn(turn_id, context)
        except ArchiveError as e:
            raise failing(e) from None
        c = t["call"]
        return TurnOutput(turn=_turn(t["turn"]), before=[_turn(x) for x in t["before"]],
                          after=[_turn(x) for x in t["after"]], call_id=c["call_id"], company=c["company"],
                          ticker=c["ticker"], period=_period(c["fiscal_year"], c["fiscal_quarter"]),
                          citation=t["citation"], url=t["url"])

    @server.tool(annotations=read_only, structured_output=True)
    def get_call(
        call_id: Annotated[str, Field(min_length=3, max_length=80, description="e.g. KC-2020Q1")],
        offset: Annotated[int, Field(ge=0, description="First turn to return (for paging long calls).")] = 0,
        limit: Annotated[int, Field(ge=1, le=60, description="Turns per page.")] = 30,
    ) -> CallOutput:
        """Read a call: its metadata, participants and turns, a page at a time."""
        try:
            c = archive.get_call(call_id)
        except ArchiveError as e:
            raise failing(e) from None
        turns = c["turns"]
        page = turns[offset:offset + limit]
        return CallOutput(call_id=c["call_id"], company=c["company"], ticker=c["ticker"],
                          period=_period(c["fiscal_year"], c["fiscal_quarter"]), date=c["call_date"],
                          participants=[Participant(**{k: p.get(k) for k in ("name", "title", "role")})
                                        for p in c["participants"]],
                          turns=[_turn(t) for t in page], total_turns=len(turns),
                          next_offset=offset + limit if offset + limit < len(turns) else None)

    @server.tool(annotations=read_only, structured_output=True)
    def list_calls(
        ticker: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9.\-]{1,12}$", description="Only this ticker.")] = None,
        year: Annotated[int | None, Field(ge=1900, le=2200, description="Only this fiscal year.")] = None,
    ) -> CallsOutput:
        """List the calls in the archive (id, company, ticker, fiscal period, date, number of turns)."""
        rows = archive.calls(ticker=ticker, year=year)
        return CallsOutput(total=len(rows), calls=[CallSummary(
            call_id=r["call_id"], company=r["company"], ticker=r["ticker"],
            period=_period(r["fiscal_year"], r["fiscal_quarter"]), date=r["call_date"], turns=r["n_turns"])
            for r in rows[:500]])

    @server.tool(annotations=read_only, structured_output=True)
    def term_trend(
        query: Annotated[str, Field(min_length=1, max_length=500, description="Words or \"a phrase\" to count.")],
        tickers: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z0-9.\-]{1,12}$")]] | None,
                           Field(max_length=20)] = None,
        years: Annotated[list[Annotated[int, Field(ge=1900, le=2200)]] | None, Field(min_length=1, max_length=2)] = None,
    ) -> TrendOutput:
        """How often a topic comes up per fiscal quarter: calls mentioning it out of the calls on file."""
        try:
            t = archive.trend(query, tuple(tickers or ()), (years[0], years[-1]) if years else None)
        except ArchiveError as e:
            raise failing(e) from None
        return TrendOutput(query=query, quarters=[Quarter(
            period=_period(x["year"], x["quarter"]), calls_mentioning=x["calls"], calls_on_file=x["calls_on_file"],
            share=x["share"], turns=x["turns"]) for x in t["quarters"]])

    return server
