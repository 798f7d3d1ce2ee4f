"""The MCP server: the archive's lookups as tools for chat assistants (official Python SDK, stdio or
streamable HTTP), over the same Archive service as the web app. Every tool but save_search is read-only, all are
idempotent; each declares its input bounds and its output schema, and answers a bad argument with a tool error a
model can act on. save_search takes no webhook: a chat tool, which may be steered by the text it reads, cannot
make the archive send transcripts anywhere."""
from __future__ import annotations

import inspect
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from archive import request as declared
from archive.errors import MCP, ArchiveError
from archive.models import TICKER_PATTERN, period_text
from archive.request import SearchRequest
from archive.service import Archive

MAX_QUESTION = 600         # characters of the question a hit carries
INSTRUCTIONS = (
    "Search and read earnings-call transcripts. Use search_transcripts to find what executives or analysts said "
    "(by meaning or exact words, filtered by ticker, fiscal year, quarter, speaker, role and section); each hit has "
    "a turn_id, a citation and a url to cite, and a match strength: no hits means nothing on file matches. Use "
    "get_turn to read a hit in context, get_call for a whole call, "
    "list_calls to see which calls exist, term_trend to compare how often up to four topics come up per quarter. "
    "save_search keeps a search so the hits of calls added later are recorded; list_saved_searches and "
    "get_saved_search read what they found.")


class Question(BaseModel):
    turn_id: str
    speaker: str
    title: str | None
    text: str = Field(description=f"The question, cut to about {MAX_QUESTION} characters.")


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
    match: float = Field(description="How well the turn matches the query, 0-1: at least 0.8 strong, 0.5-0.8 "
                                     "partial, below 0.5 weak (shown only with a lower min_score).")
    strength: Literal["strong", "partial", "weak"]
    question: Question | None = Field(None, description="For an executive's answer in the Q&A: the analyst's "
                                                        "question it answers.")


class FacetValue(BaseModel):
    value: str | int = Field(description="Pass it as the argument of the same name (tickers, years, quarters, "
                                          "role, section, speaker; a company without ticker: company).")
    label: str
    count: int


class Group(BaseModel):
    call_id: str
    period: str
    company: str | None
    ticker: str | None
    matched: int = Field(description="Matching turns of this call; the hits list its best ones.")
    turn_ids: list[str]


class SearchOutput(BaseModel):
    hits: list[Hit]
    total: int = Field(description="Matching turns (exchanges, with unit=exchange) among the 100 a search ranks.")
    calls: int = Field(description="Calls among the matches.")
    weak: int = Field(description="Turns that were ranked but match below the floor (min_score, default 0.5): "
                                    "not shown.")
    warnings: list[str] = Field(description="What the search did not do as asked, e.g. an unknown ticker skipped.")
    facets: dict[str, list[FacetValue]] = Field(description="How all the matches divide by company, year, quarter, "
                                                            "role, section and speaker (most frequent first).")
    groups: list[Group] | None = Field(None, description="With group=call: the page's calls, in order.")


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
    period: str = Field(description="Fiscal period, e.g. Q1 2020.")
    calls_mentioning: int
    calls_on_file: int
    share: float = Field(description="calls_mentioning / calls_on_file (0 when no call is on file).")
    turns: int = Field(description="Turns that mention the term.")


class TrendSeries(BaseModel):
    term: str
    ticker: str | None = Field(description="With split=company: the ticker this series counts; else null (the "
                                           "whole ticker set).")
    company: str | None
    quarters: list[Quarter] = Field(description="The same fiscal quarters in every series, oldest first.")
    truncated: bool = Field(description="The count stopped at the first 20,000 matching passages.")


class TrendOutput(BaseModel):
    terms: list[str]
    tickers: list[str]
    years: list[int] | None
    split: Literal["none", "company"]
    measure: Literal["share", "turns"]
    series: list[TrendSeries] = Field(description="One per term; with split=company one per ticker and term, "
                                                  "ticker by ticker.")
    warnings: list[str] = Field(description="E.g. a ticker with no calls on file, skipped.")


class SavedHit(BaseModel):
    turn_id: str = Field(description="Pass it to get_turn to read the hit in context.")
    call_id: str
    company: str | None
    ticker: str | None
    period: str
    speaker: str
    role: str
    section: str
    passage: str
    citation: str
    url: str
    match: float
    found_at: str = Field(description="When it was recorded (UTC): when its call became searchable.")


class SavedSearchInfo(BaseModel):
    name: str
    slug: str
    query: str
    filters: dict = Field(description="The saved search's other fields (tickers, years, role, section, mode, ...).")
    recorded: int = Field(description="Hits recorded since it was saved (each from a call added after).")
    new: int = Field(description="Hits recorded since its results were last viewed in the web app.")
    last_found_at: str | None
    feed_url: str = Field(description="Its Atom feed of new hits.")
    url: str = Field(description="Its page in the web app.")


class SavedListOutput(BaseModel):
    saved_searches: list[SavedSearchInfo]


class SavedHitsOutput(BaseModel):
    saved_search: SavedSearchInfo
    hits: list[SavedHit] = Field(description="The hits it recorded, newest first: what came up in calls added "
                                             "after it was saved.")


def _saved_info(s: dict) -> SavedSearchInfo:
    r = s["request"]
    filters = {k: v for k, v in r.items() if k != "text" and v not in (None, (), [], "") and
               v != declared.BY_ATTR[k].default}
    return SavedSearchInfo(name=s["name"], slug=s["slug"], query=s["query"], filters=filters,
                           recorded=s["recorded"], new=s["new"], last_found_at=s["last_found_at"],
                           feed_url=s["feed_url"], url=s["url"])


def _saved_hit(h: dict) -> SavedHit:
    return SavedHit(turn_id=h["turn_id"], call_id=h["call_id"], company=h["company"], ticker=h["ticker"],
                    period=_period(h["year"], h["quarter"]), speaker=h["speaker"], role=h["role"],
                    section=h["section"], passage=_cut(h["passage"], 1000), citation=h["citation"], url=h["url"],
                    match=h["match"], found_at=h["found_at"])


def _period(year, quarter) -> str:
    return period_text(year, quarter, "unknown")


def _annotation(fd):
    """(type annotation, default) of one declared request field as an MCP tool argument."""
    d = fd.help
    if fd.kind == declared.TEXT:
        return Annotated[str, Field(min_length=1, max_length=fd.max_length, description=d)], inspect.Parameter.empty
    if fd.kind == declared.YEAR_RANGE:
        year = Annotated[int, Field(ge=int(fd.lo), le=int(fd.hi))]
        return Annotated[list[year] | None, Field(min_length=1, max_length=2, description=(
            d + " [2021] for one year, [2019, 2021] for a range."))], None
    if fd.kind == declared.BOOL:
        return Annotated[bool, Field(description=d)], fd.default
    if fd.kind == declared.CHOICE:
        choice = Literal[tuple(fd.choices)]
        return (Annotated[choice, Field(description=d)], fd.default) if fd.default is not None else \
            (Annotated[choice | None, Field(description=d)], None)
    if fd.kind in (declared.INT, declared.FLOAT):
        kind = int if fd.kind == declared.INT else float
        lo, hi, default = fd.lo, fd.hi, fd.default
        if fd.name == "limit":
            default, hi = declared.CHAT_LIMIT
        item = Annotated[kind, Field(ge=kind(lo), le=kind(hi))]
        if fd.many:
            return Annotated[list[item] | None, Field(max_length=fd.max_items, description=d)], None
        return (Annotated[item, Field(description=d)], default) if default is not None else \
            (Annotated[item | None, Field(description=d)], None)
    text = Annotated[str, Field(max_length=fd.max_length, pattern=f"^{fd.pattern}$" if fd.pattern else None)]
    if fd.many:
        return Annotated[list[text] | None, Field(max_length=fd.max_items, description=d)], None
    return Annotated[text | None, Field(description=d)], None


def request_signature(names=None, returns=None) -> inspect.Signature:
    """The MCP tool signature of the declared request fields (archive/request.py); the SDK derives the tool's
    input schema from it."""
    params = []
    for fd in declared.fields(names):
        if fd.mcp == "":
            continue
        annotation, default = _annotation(fd)
        params.append(inspect.Parameter(fd.mcp_name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                        default=default))
    return inspect.Signature(params, return_annotation=returns)


def request_from_tool(arguments: dict, names=None, **fixed) -> SearchRequest:
    by_mcp = {fd.mcp_name: fd.attr for fd in declared.fields(names)}
    return SearchRequest.build(**{by_mcp[k]: v for k, v in arguments.items()}, **fixed)


def _hit(h) -> Hit:
    asked = h.question
    question = Question(turn_id=asked["turn_id"], speaker=asked["speaker"], title=asked.get("title"),
                        text=_cut(asked.get("text") or "", MAX_QUESTION)) if asked else None
    return Hit(turn_id=h.turn_id, call_id=h.call_id, company=h.company, ticker=h.ticker,
               period=_period(h.year, h.quarter), date=h.date, speaker=h.speaker, title=h.title, role=h.role,
               section=h.section, passage=h.passage, citation=h.citation, url=h.url, match=h.match,
               strength=h.strength, question=question)


def _cut(text: str, limit: int) -> str:
    """text cut at a word boundary to about limit characters."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"


def _turn(t: dict) -> TurnText:
    return TurnText(**{k: t[k] for k in TurnText.model_fields})


def build_server(archive: Archive):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    server = MCPServer(name="earnings-call-archive", instructions=INSTRUCTIONS)
    read_only = ToolAnnotations(readOnlyHint=True, idempotentHint=True, destructiveHint=False, openWorldHint=False)

    def failing(e: ArchiveError):
        hint = e.hint_for(MCP)
        return ToolError(f"{e.message}" + (f" ({hint})" if hint else ""))

    def search_transcripts(**arguments) -> SearchOutput:
        """Search earnings-call transcripts for what was said, by meaning and by exact words. Returns speaker
        turns (best passage each) with company, period, date, speaker and role, a citation string and a link; an
        executive's answer carries the analyst's question it answers.

        Each hit has a match strength (0-1; strong from 0.8): a turn below the floor (0.5) does not match and is
        not returned, so an empty hits list means nothing in the archive matches (weak counts the near misses;
        min_score=0 shows them, a higher min_score only the best). unit=answer searches only the executives'
        answers, unit=question the analysts' questions, unit=exchange question+answer pairs as one unit;
        facets count all the matches (narrow with the argument of the same name)."""
        try:
            res = archive.search(request_from_tool(arguments))
        except ArchiveError as e:
            raise failing(e) from None
        return SearchOutput(
            total=res.total, calls=res.calls, weak=res.weak, warnings=list(res.warnings),
            facets={name: [FacetValue(value=v["value"], label=str(v["label"]), count=v["count"]) for v in values]
                    for name, values in (res.facets or {}).items()},
            groups=[Group(call_id=g["call_id"], period=_period(g["year"], g["quarter"]), company=g["company"],
                          ticker=g["ticker"], matched=g["matched"], turn_ids=list(g["turn_ids"]))
                    for g in res.groups] if res.groups is not None else None,
            hits=[_hit(h) for h in res.hits])
    search_transcripts.__signature__ = request_signature(returns=SearchOutput)
    server.tool(annotations=read_only, structured_output=True)(search_transcripts)

    @server.tool(annotations=read_only, structured_output=True)
    def get_turn(
        turn_id: Annotated[str, Field(min_length=3, max_length=80, description="A turn_id from search_transcripts.")],
        context: Annotated[int, Field(ge=0, le=declared.CHAT_CONTEXT, description="Turns to include either side.")] = 2,
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
        ticker: Annotated[str | None, Field(pattern=f"^{TICKER_PATTERN}$", description="Only this ticker.")] = None,
        year: Annotated[int | None, Field(ge=declared.YEARS[0], le=declared.YEARS[1],
                                          description="Only this fiscal year.")] = None,
    ) -> CallsOutput:
        """List the calls in the archive (id, company, ticker, fiscal period, date, number of turns)."""
        rows = archive.calls(ticker=ticker, year=year)
        return CallsOutput(total=len(rows), calls=[CallSummary(
            call_id=r["call_id"], company=r["company"], ticker=r["ticker"],
            period=_period(r["fiscal_year"], r["fiscal_quarter"]), date=r["call_date"], turns=r["n_turns"])
            for r in rows[:500]])

    def term_trend(**arguments) -> TrendOutput:
        """Compare how often up to four topics come up per fiscal quarter: for each term (a query: words, "exact
        phrases", -excluded words, a OR b), the calls mentioning it out of the calls on file and the turns that
        mention it. With tickers and split=company: one series per ticker and term, to compare companies."""
        by_mcp = {fd.mcp_name: fd.attr for fd in declared.TREND_FIELDS}
        try:
            t = archive.trend(declared.TrendRequest.build(**{by_mcp[k]: v for k, v in arguments.items()}))
        except ArchiveError as e:
            raise failing(e) from None
        return TrendOutput(terms=t["terms"], tickers=t["tickers"], years=t["years"], split=t["split"],
                           measure=t["measure"], warnings=t["warnings"], series=[TrendSeries(
                               term=s["term"], ticker=s["ticker"], company=s["company"], truncated=s["truncated"],
                               quarters=[Quarter(period=_period(x["year"], x["quarter"]), calls_mentioning=x["calls"],
                                                 calls_on_file=x["calls_on_file"], share=x["share"],
                                                 turns=x["turns"]) for x in s["quarters"]]) for s in t["series"]])
    terms = declared.TREND_BY_NAME["q"]
    rest = request_signature(declared.TREND_FIELDS[1:], returns=TrendOutput)
    term_trend.__signature__ = rest.replace(parameters=[inspect.Parameter(
        terms.mcp_name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[
            list[Annotated[str, Field(min_length=1, max_length=terms.max_length)]],
            Field(min_length=1, max_length=terms.max_items, description=terms.help)]), *rest.parameters.values()])
    server.tool(annotations=read_only, structured_output=True)(term_trend)

    @server.tool(annotations=read_only, structured_output=True)
    def list_saved_searches() -> SavedListOutput:
        """The searches saved in the archive (by people in the web app or the CLI, or by save_search), each with
        how many hits it has recorded from calls added since it was saved."""
        return SavedListOutput(saved_searches=[_saved_info(s) for s in archive.saved_searches()])

    @server.tool(annotations=read_only, structured_output=True)
    def get_saved_search(
        name: Annotated[str, Field(min_length=1, max_length=80, description="Its name or slug.")],
        limit: Annotated[int, Field(ge=1, le=50, description="Hits to return, newest first.")] = 10,
    ) -> SavedHitsOutput:
        """What a saved search has found in the calls added since it was saved (its alerts), newest first."""
        try:
            s, hits = archive.saved_feed(name)
        except ArchiveError as e:
            raise failing(e) from None
        return SavedHitsOutput(saved_search=_saved_info(s), hits=[_saved_hit(h) for h in hits[:limit]])

    def save_search(**arguments) -> SavedSearchInfo:
        """Save a search under a name, so that the hits of every call added from now on are recorded for it (read
        them with get_saved_search; people see them in the web app and its Atom feed). Takes the arguments of
        search_transcripts (limit and page are not kept). A name already saved is refused unless replace is
        true. Chat tools cannot attach webhooks (people add them in the web app or the CLI)."""
        name, replace = arguments.pop("name"), arguments.pop("replace", False)
        arguments.pop("limit", None)
        arguments.pop("page", None)
        try:
            return _saved_info(archive.save_search(name, request_from_tool(arguments), replace=replace))
        except ArchiveError as e:
            raise failing(e) from None
    searched = request_signature(returns=SavedSearchInfo)
    save_search.__signature__ = searched.replace(parameters=[
        inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, Field(
            min_length=1, max_length=80, description="A name for it, e.g. 'KC pricing pressure'.")]),
        *[p for p in searched.parameters.values() if p.name not in ("limit", "page")],
        inspect.Parameter("replace", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
            bool, Field(description="Replace a saved search of the same name (its recorded hits go).")])])
    server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True,
                                            openWorldHint=False), structured_output=True)(save_search)

    return server
