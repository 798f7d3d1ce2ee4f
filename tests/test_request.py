"""The search request is declared once (archive/request.py): the CLI options, the web parser, the OpenAPI
schema and the MCP tool's input schema are generated from it. Each test here fails when a door disagrees with
the declaration: a field missing, another bound, another vocabulary, another default."""
from __future__ import annotations

import click
import pytest
from werkzeug.datastructures import MultiDict

from archive import request as declared
from archive.cli import search as search_command
from archive.errors import API, CLI, MCP, PAGE, BadRequestError
from archive.models import ROLES, SECTIONS
from archive.request import CHAT_LIMIT, FIELDS, SearchRequest
from web.openapi import document, request_params
from web.params import search_request


def _cli_params():
    return {p.name: p for p in search_command.params}


def test_every_field_is_a_cli_option_with_the_declared_type_and_default():
    params = _cli_params()
    for fd in FIELDS:
        if fd.kind == declared.TEXT:
            assert isinstance(params["query"], click.Argument)
            continue
        if fd.kind == declared.YEAR_RANGE:
            year = params["year"].type
            assert (year.min, year.max) == (fd.lo, fd.hi) and "years" in params
            continue
        p = params[fd.attr]
        assert p.multiple == fd.many, fd.name
        if fd.kind == declared.CHOICE:
            assert tuple(p.type.choices) == fd.choices, fd.name
        if fd.kind in (declared.INT, declared.FLOAT):
            assert (p.type.min, p.type.max) == (fd.lo, fd.hi), fd.name
        if fd.kind == declared.BOOL:
            assert p.secondary_opts == ["--literal"]
        if not fd.many:
            assert p.default == fd.default, fd.name
        assert fd.cli in p.opts, fd.name


def test_every_field_is_an_openapi_parameter_with_the_declared_schema():
    params = {p["name"]: p for p in request_params()}
    search = {p["name"]: p for p in document()["paths"]["/api/search"]["get"]["parameters"]}
    assert params == search
    for fd in FIELDS:
        if fd.kind == declared.YEAR_RANGE:
            assert params["year"]["schema"]["minimum"] == fd.lo and params["year"]["schema"]["maximum"] == fd.hi
            assert "years" in params
            continue
        schema = params[fd.name]["schema"]
        if fd.many:
            assert schema["type"] == "array" and schema["maxItems"] == fd.max_items, fd.name
            schema = schema["items"]
        if fd.kind == declared.CHOICE:
            assert tuple(schema["enum"]) == fd.choices and schema.get("default") == fd.default, fd.name
        if fd.kind in (declared.INT, declared.FLOAT):
            assert (schema["minimum"], schema["maximum"]) == (fd.lo, fd.hi), fd.name
            assert schema.get("default") == fd.default, fd.name
        if fd.pattern:
            assert schema["pattern"] == f"^{fd.pattern}$"
        assert params[fd.name]["required"] == (fd.kind == declared.TEXT)


def test_every_field_is_an_mcp_argument_with_the_declared_bounds():
    pytest.importorskip("mcp")
    from web.mcp_server import build_server

    class NoArchive:
        pass
    server = build_server(NoArchive())
    tools = {t.name: t for t in server._tool_manager.list_tools()}
    schema = tools["search_transcripts"].parameters
    props = schema["properties"]
    assert schema["required"] == ["query"]
    for fd in FIELDS:
        p = props[fd.mcp_name]
        flat = _nonnull(p)
        if fd.kind == declared.CHOICE:
            assert tuple(flat["enum"]) == fd.choices, fd.name
            assert p.get("default") == fd.default
        elif fd.kind == declared.YEAR_RANGE:
            assert flat["maxItems"] == 2 and flat["items"]["minimum"] == fd.lo and flat["items"]["maximum"] == fd.hi
        elif fd.many:
            assert flat["type"] == "array" and flat["maxItems"] == fd.max_items, fd.name
        elif fd.name == "limit":     # a chat tool's page is smaller: its context window is the cost
            assert (flat["minimum"], flat["maximum"], p["default"]) == (fd.lo, CHAT_LIMIT[1], CHAT_LIMIT[0])
        elif fd.kind in (declared.INT, declared.FLOAT):
            assert (flat["minimum"], flat["maximum"]) == (fd.lo, fd.hi), fd.name
        elif fd.kind == declared.BOOL:
            assert flat["type"] == "boolean" and p["default"] is fd.default
    assert set(props) == {fd.mcp_name for fd in FIELDS}


def test_the_trend_is_declared_once_at_every_door():
    """The trend comparison's fields (TREND_FIELDS): the CLI's `trend` options, /api/trend's parameters, the MCP
    term_trend arguments and the web parser agree with the declaration: up to MAX_TERMS terms of q's bounds, the
    search's ticker and years, split and measure with their vocabularies and defaults."""
    from archive.cli import trend as trend_command
    terms = declared.TREND_BY_NAME["q"]
    assert terms.max_items == declared.MAX_TERMS == 4 and terms.max_length == declared.MAX_QUERY
    assert declared.TREND_BY_NAME["ticker"] is declared.BY_NAME["ticker"]
    assert declared.TREND_BY_NAME["years"] is declared.BY_NAME["years"]
    choices = [fd for fd in declared.TREND_FIELDS if fd.kind == declared.CHOICE]
    assert {fd.name for fd in choices} == {"split", "measure"}

    cli = {p.name: p for p in trend_command.params}
    assert isinstance(cli["terms"], click.Argument) and cli["terms"].nargs == -1 and cli["terms"].required
    assert cli["tickers"].multiple and (cli["year"].type.min, cli["year"].type.max) == declared.YEARS
    assert "years" in cli
    for fd in choices:
        assert tuple(cli[fd.attr].type.choices) == fd.choices and cli[fd.attr].default == fd.default, fd.name

    api = {p["name"]: p for p in document()["paths"]["/api/trend"]["get"]["parameters"]}
    assert set(api) == {"q", "ticker", "year", "years", "split", "measure"}
    q = api["q"]
    assert q["required"] and q["schema"]["type"] == "array" and q["schema"]["maxItems"] == terms.max_items
    assert q["schema"]["items"]["maxLength"] == terms.max_length and "comma-separate" not in q["description"]
    assert api["ticker"]["schema"]["maxItems"] == declared.MAX_TICKERS
    for fd in choices:
        assert tuple(api[fd.name]["schema"]["enum"]) == fd.choices and api[fd.name]["schema"]["default"] == fd.default

    pytest.importorskip("mcp")
    from web.mcp_server import build_server

    class NoArchive:
        pass
    tool = {t.name: t for t in build_server(NoArchive())._tool_manager.list_tools()}["term_trend"]
    props = tool.parameters["properties"]
    assert set(props) == {fd.mcp_name for fd in declared.TREND_FIELDS} == {"terms", "tickers", "years", "split",
                                                                            "measure"}
    assert tool.parameters["required"] == ["terms"]
    assert (props["terms"]["minItems"], props["terms"]["maxItems"]) == (1, terms.max_items)
    assert props["terms"]["items"]["maxLength"] == terms.max_length
    assert _nonnull(props["tickers"])["maxItems"] == declared.MAX_TICKERS
    for fd in choices:
        assert tuple(props[fd.name]["enum"]) == fd.choices and props[fd.name]["default"] == fd.default


def test_the_web_trend_parser_takes_repeated_terms_within_the_declared_bounds():
    from web.params import trend_request
    req = trend_request(MultiDict([("q", "cloud"), ("q", "gross margin, outlook"), ("q", ""), ("q", "CLOUD"),
                                   ("ticker", "kc,yeti"), ("years", "2019-2020"), ("measure", "turns")]))
    assert req.terms == ("cloud", "gross margin, outlook")          # not split on commas; empty and dupes dropped
    assert req.tickers == ("KC", "YETI") and req.years == (2019, 2020) and req.measure == "turns"
    assert req.split == "none"
    assert trend_request(MultiDict({"q": "cloud"})) == declared.TrendRequest.build(terms=["cloud"])
    bad = [(MultiDict([("q", t) for t in "abcde"]), "q"), (MultiDict({"q": "*"}), "q"),
           (MultiDict({"q": "x" * (declared.MAX_QUERY + 1)}), "q"), (MultiDict({"q": ""}), "q"),
           (MultiDict({"q": "cloud", "split": "company"}), "split"),
           (MultiDict({"q": "cloud", "split": "ticker"}), "split"),
           (MultiDict({"q": "cloud", "measure": "words"}), "measure"),
           (MultiDict({"q": "cloud", "years": "20-"}), "years"),
           (MultiDict({"q": "cloud", "ticker": "<b>"}), "ticker")]
    for args, param in bad:
        with pytest.raises(BadRequestError) as e:
            trend_request(args)
        assert e.value.param == param, (args, e.value.message)


def _nonnull(p):
    for alt in p.get("anyOf", [p]):
        if alt.get("type") != "null":
            return alt
    return p


def test_the_vocabularies_are_the_models_own():
    assert declared.BY_NAME["role"].choices == ROLES and "unknown" in ROLES
    assert declared.BY_NAME["section"].choices == SECTIONS


@pytest.mark.parametrize("fd", [f for f in FIELDS if f.kind in (declared.INT, declared.FLOAT, declared.CHOICE)],
                         ids=lambda f: f.name)
def test_the_web_parser_takes_the_declared_range_and_refuses_past_it(fd):
    if fd.kind == declared.CHOICE:
        good, bad = fd.choices[-1], "nonsense"
    else:
        good, bad = fd.hi if fd.name != "page" else 2, fd.hi + 1
    req = search_request(MultiDict({"q": "revenue", fd.name: str(good)}))
    value = getattr(req, fd.attr)
    assert (value[0] if fd.many else value) == good
    with pytest.raises(BadRequestError) as e:
        search_request(MultiDict({"q": "revenue", fd.name: str(bad)}))
    assert e.value.param == fd.name


def test_defaults_are_the_declared_ones_at_every_door():
    web = search_request(MultiDict({"q": "revenue"}))
    built = SearchRequest.build(text="revenue")
    assert web == built
    for fd in FIELDS:
        if fd.default is not None:
            assert getattr(built, fd.attr) == fd.default, fd.name


def test_a_hint_is_worded_for_each_door():
    with pytest.raises(BadRequestError) as e:
        SearchRequest.build(text="revenue", role="boss")
    err = e.value
    assert err.hint_for(CLI) == "e.g. --role executive"
    assert err.hint_for(API) == "e.g. role=executive"
    assert err.hint_for(MCP) == 'e.g. "role": "executive"'
    assert "--" not in err.hint_for(PAGE) and "`" not in err.hint_for(PAGE)
    from archive.errors import NotReadyError
    not_built = NotReadyError("no search index has been built yet", command="reindex")
    assert "`python -m archive reindex`" in not_built.hint_for(CLI)
    assert "`" not in not_built.hint_for(PAGE) and "python" not in not_built.hint_for(PAGE)
    assert "`" not in not_built.hint_for(API) and "python -m archive reindex" in not_built.hint_for(API)


def test_pages_are_bounded_by_the_window():
    assert SearchRequest.build(text="x", limit=10, page=10).offset == 90
    with pytest.raises(BadRequestError, match="past the 100 results"):
        SearchRequest.build(text="x", limit=10, page=11)
