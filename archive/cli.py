"""Command line: one short command per verb; each opens the Archive, calls one method, prints the result
(or JSON with --json). An ArchiveError becomes `error: ...` and `hint: ...` and the exit status its class
declares (handles_errors, the one place)."""
from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

import click

from .config import Settings
from .errors import CLI, ArchiveError, EngineUnavailableError, NotReadyError, ReindexRunningError
from .models import SECTION_LABELS, period_text
from .request import EXPORT_MAX

EXIT_OK, EXIT_FAILED_FILES, EXIT_ERROR = 0, 1, 2


def _emit(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def open_archive(ctx):
    from .service import Archive
    if "archive" not in ctx.obj:
        ctx.obj["archive"] = Archive.open(Settings.from_env(home=ctx.obj["home"]))
        ctx.call_on_close(ctx.obj["archive"].close)
    return ctx.obj["archive"]


def handles_errors(f):
    @wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except ArchiveError as e:
            hint = e.hint_for(CLI)
            click.echo(f"error: {e.message}" + (f"\nhint: {hint}" if hint else ""), err=True)
            sys.exit(e.exit_code)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--home", type=click.Path(file_okay=False), default=None, envvar="ARCHIVE_HOME",
              help="Archive folder (default ./var, or $ARCHIVE_HOME).")
@click.pass_context
def main(ctx, home):
    """A searchable archive of earnings-call transcripts.

    \b
    Typical use:
      python -m archive ingest archive/sample          # read transcripts into the archive
      python -m archive stats                          # what is in it
      python -m archive calls --ticker KC              # list calls
      python -m archive show KC-2020Q1                 # read one call, turn by turn
    """
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "format_", default=None, metavar="NAME",
              help="Layout to read the files as, instead of detecting it: json-turns, token-table, speaker-blocks, "
                   "speaker-lines.")
@click.option("--ticker", help="Ticker for these files (the seed has none in it).")
@click.option("--company", help="Company name for these files.")
@click.option("--year", type=int, help="Fiscal year for these files.")
@click.option("--quarter", help="Fiscal quarter (1-4 or Q1-Q4) for these files.")
@click.option("--date", help="Call date, YYYY-MM-DD.")
@click.option("--replace", is_flag=True, help="When a call (same ticker and period) is already stored from another "
                                             "file, keep this file's version instead of skipping it.")
@click.option("--index/--no-index", "then_index", default=True, show_default=True,
              help="Then bring the search index up to date, so what was stored is searchable when the command "
                   "returns. --no-index: only store (for bulk loads that end with one `reindex`).")
@click.option("--layout", "layout_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Read the files with a layout you describe (TOML or JSON: a speaker pattern with a (?P<name>...) "
                   "group, optional start/end/section markers and furniture; see docs/layouts.md).")
@click.option("--explain", is_flag=True, help="Also print, for each file, the layout read and the evidence for it "
                                            "(as `inspect` does).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; only failures and the summary.")
@click.pass_context
@handles_errors
def ingest(ctx, paths, format_, ticker, company, year, quarter, date, replace, then_index, layout_file, explain,
           as_json, quiet):
    """Read transcript files and folders (recursively) into the archive.

    Text, JSON, JSONL, CSV/TSV, PDF and saved web pages (.html) are read; the layout is recognised or inferred
    from the file itself (see `inspect`). Files already ingested and unchanged are skipped; a changed file
    replaces its call; a file that fails is reported with the reason and the batch goes on. Metadata the files
    lack can also come from a sidecar NAME.meta.json beside each file. Exit status: 0 when no file failed, 1 when
    some did, 2 on a usage error.
    """
    from tqdm import tqdm
    from .formats.layout import load_layout
    from .formats.report import render
    layout = load_layout(layout_file) if layout_file else None
    meta = {k: v for k, v in dict(ticker=ticker, company=company, year=year, quarter=quarter, date=date).items()
            if v is not None}
    archive = open_archive(ctx)
    bar = None
    show_bar = not quiet and not as_json and sys.stderr.isatty()

    def start(n):
        nonlocal bar
        if show_bar:
            bar = tqdm(total=n, unit="file", file=sys.stderr, dynamic_ncols=True)

    def step(outcome):
        if outcome.status == "failed":
            line = f"failed: {outcome.message}"
            (bar.write(line, file=sys.stderr) if bar else click.echo(line, err=True))
        elif outcome.status == "duplicate" and not as_json:
            line = f"duplicate: {outcome.message}"
            (bar.write(line, file=sys.stderr) if bar else click.echo(line, err=True))
        if outcome.warnings and not as_json:
            for w in outcome.warnings:
                line = f"warning: {outcome.path}: {w}"
                (bar.write(line, file=sys.stderr) if bar else click.echo(line, err=True))
        if explain and outcome.explain and not as_json:
            text = render(outcome.explain) + "\n"
            (bar.write(text, file=sys.stderr) if bar else click.echo(text, err=True))
        if bar:
            bar.update(1)

    report = archive.ingest(paths, format=format_, meta=meta, replace=replace, progress=step, on_start=start,
                            layout=layout, explain=explain)
    if bar:
        bar.close()
    for f in report.files:   # failures found before the walk (missing paths) were not seen by step()
        if f.status == "failed" and f.call_id is None and "no such file" in (f.message or ""):
            click.echo(f"failed: {f.message}", err=True)
    s = report.summary()
    indexed = _make_searchable(archive, quiet or as_json) if then_index else None
    if as_json:
        _emit({**report.to_dict(), **({"index": indexed} if indexed else {})})
    else:
        rate = f", {s['files'] / s['seconds']:.0f} files/s" if s["seconds"] > 0 else ""
        click.echo(f"{s['files']} files in {s['seconds']:.1f}s{rate}: {s['added']} added, {s['replaced']} replaced, "
                   f"{s['unchanged']} unchanged, {s['duplicate']} duplicate, {s['failed']} failed; "
                   f"{s['turns_added']} turns and {s['chunks_added']} chunks stored")
        if indexed:
            click.echo(f"searchable: index generation {indexed['generation']} ({indexed['passages']} passages of "
                       f"{indexed['calls']} calls)")
            from .saved_cli import alerts_note
            alerts_note(indexed.get("alerts"))
        elif not then_index and s["added"] + s["replaced"] and archive.pending_notice():
            _note(archive.pending_notice())
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED_FILES)


def _make_searchable(archive, quiet: bool) -> dict | None:
    """After an ingest: bring the index up to date when the store is ahead of it (the outcome, or None)."""
    status = archive.index_status()
    if not (status["pending"] or status["removed"]):
        return None
    try:
        return _run_reindex(archive, False, quiet, quiet).to_dict()
    except ReindexRunningError as e:
        _note(NotReadyError(f"stored, but not searchable yet: {e.message}", "when it has finished, bring the index "
                            "up to date", command="reindex"))
        return None
    except EngineUnavailableError as e:
        _note(EngineUnavailableError(f"stored, but not searchable yet: {e.message}", "the calls are kept in the "
                                     "store; when the search engine answers again, bring the index up to date",
                                     command="reindex"))
        return None


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def stats(ctx, as_json):
    """Counts of calls, turns, chunks and files, and the archive's size."""
    s = open_archive(ctx).stats()
    if as_json:
        return _emit(s)
    years = f"{s['years'][0]}-{s['years'][-1]}" if s["years"] else "-"
    click.echo(f"archive   {s['db_path']} ({s['db_bytes'] / 1e6:.1f} MB)\n"
               f"calls     {s['calls']} ({s['companies']} companies, {s['tickers']} tickers, fiscal years {years})\n"
               f"turns     {s['turns']}\nchunks    {s['chunks']}\n"
               f"files     {s['files']} ({', '.join(f'{k}: {v}' for k, v in sorted(s['formats'].items())) or '-'})")
    ix = s["index"]
    if ix["generation"] is None:
        click.echo("index     none built yet: nothing is searchable (run `python -m archive reindex`)")
    else:
        click.echo(f"index     {ix['generation']}: {ix['calls_searchable']} of {s['calls']} calls searchable "
                   f"(lexical: {ix['lexical_engine']}, vectors: {ix['vector_kind'] or '?'}"
                   f"{', model in ' + ix['precision'] if ix['precision'] else ''})")
        notice = open_archive(ctx).pending_notice()
        if notice:
            _note(notice)


@main.command()
@click.argument("path", type=click.Path())
@click.option("--layout", "layout_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Read it with a layout you describe (TOML or JSON; see docs/layouts.md).")
@click.option("--format", "format_", default=None, metavar="NAME", help="Read it as this layout instead of detecting it.")
@click.option("--turns", "first_turns", type=click.IntRange(0, 1000), default=5, show_default=True,
              help="How many of the first turns to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def inspect(ctx, path, layout_file, format_, first_turns, as_json):
    """Show what reading a file gives, without storing it: the layout inferred and the evidence for it, metadata
    and where it was found, participants, turns per section, the first turns and the lines dropped as furniture.
    When reading fails: the lines that looked most like speaker labels and the next step.

    Exit status: 0 when the file reads, 1 when it does not, 2 on a usage error.
    """
    from .formats.layout import load_layout
    from .formats.report import render
    layout = load_layout(layout_file) if layout_file else None
    d = open_archive(ctx).inspect(path, format=format_, layout=layout, first_turns=first_turns)
    _emit(d) if as_json else click.echo(render(d))
    sys.exit(EXIT_OK if d["ok"] else EXIT_FAILED_FILES)


@main.command()
@click.option("--ticker", help="Only this ticker.")
@click.option("--year", type=int, help="Only this fiscal year.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def calls(ctx, ticker, year, as_json):
    """List the calls in the archive."""
    rows = open_archive(ctx).calls(ticker=ticker, year=year)
    if as_json:
        return _emit(rows)
    if not rows:
        click.echo("no calls" + (" match" if ticker or year else " yet: ingest some with `python -m archive ingest`"))
        return
    for r in rows:
        period = period_text(r["fiscal_year"], r["fiscal_quarter"], "-")
        click.echo(f"{r['call_id']:<28} {r['ticker'] or '-':<7} {period:<11} {r['call_date'] or '-':<10}  "
                   f"{r['n_turns']:>4} turns  {(r['company'] or '')[:40]}")
    click.echo(f"{len(rows)} calls")


@main.command()
@click.argument("call_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--full", is_flag=True, help="Print every turn's whole text (default: the first 160 characters).")
@click.pass_context
@handles_errors
def show(ctx, call_id, as_json, full):
    """Show one call: metadata, participants, and its turns with speaker, role and section."""
    call = open_archive(ctx).get_call(call_id)
    if as_json:
        return _emit(call)
    period = period_text(call["fiscal_year"], call["fiscal_quarter"], "-")
    click.echo(f"{call['call_id']}  {call['company'] or '-'} ({call['ticker'] or 'no ticker'}"
               f"{', ' + call['exchange'] if call['exchange'] else ''})  {period}  {call['call_date'] or ''}")
    for f in call["files"]:
        click.echo(f"source    {f['path']} ({f['format']}, sha256 {f['sha256'][:12]})")
    for p in call["participants"]:
        click.echo(f"  {p['role']:<9} {p['name']}" + (f", {p['title']}" if p["title"] else ""))
    section = None
    for t in call["turns"]:
        if t["section"] != section:
            section = t["section"]
            click.echo(f"\n== {SECTION_LABELS.get(section, section)} ==")
        text = t["text"] if full else t["text"].replace("\n\n", " ")[:160] + ("..." if len(t["text"]) > 160 else "")
        who = t["speaker"] + (f" ({t['title']})" if t["title"] else "")
        click.echo(f"[{t['position']:>3}] {who} [{t['role']}]\n      {text}")


def request_options(names=None):
    """The click options (and the QUERY argument) of the declared search request fields (archive/request.py)."""
    from .request import fields

    def decorate(f):
        for fd in reversed(fields(names)):
            for make in reversed(_cli_params(fd)):
                f = make(f)
        return f
    return decorate


def _cli_params(fd) -> list:
    from .request import BOOL, CHOICE, FLOAT, INT, TEXT, YEAR_RANGE
    if fd.kind == TEXT:
        return [click.argument("query")]
    if fd.kind == YEAR_RANGE:
        return [click.option("--year", "year", type=click.IntRange(int(fd.lo), int(fd.hi)), help="Only this fiscal year."),
                click.option("--years", "years", metavar="A-B", help=f"{fd.help} e.g. --years {fd.example}.")]
    if fd.kind == BOOL:
        return [click.option("--interpret/--literal", fd.attr, default=fd.default, show_default=True,
                             help=f"--interpret: {fd.help}")]
    kinds = {CHOICE: lambda: click.Choice(fd.choices), INT: lambda: click.IntRange(int(fd.lo), int(fd.hi)),
             FLOAT: lambda: click.FloatRange(fd.lo, fd.hi)}
    many = " Repeat for several." if fd.many else ""
    return [click.option(fd.cli, fd.attr, type=kinds[fd.kind]() if fd.kind in kinds else str, multiple=fd.many,
                         default=None if fd.many else fd.default, show_default=fd.default is not None,
                         help=fd.help + many)]


def request_from_cli(query: str, values: dict):
    """A SearchRequest from the options request_options() declared."""
    from .request import SearchRequest
    values = dict(values)
    year, years = values.pop("year", None), values.pop("years", None)
    if year is not None and years:
        raise click.UsageError("give --year or --years, not both")
    if years:
        a, _, b = years.partition("-")
        if not (a.strip().isdigit() and (not b or b.strip().isdigit())):
            raise click.BadParameter(f"{years!r} is not a range like 2019-2021", param_hint="--years")
        values["years"] = (int(a), int(b or a))
    elif year is not None:
        values["years"] = (year, year)
    return SearchRequest.build(text=query, **values)


@main.command()
@request_options()
@click.option("--facets", "show_facets", is_flag=True, help="Also print how the matches divide by company, year, "
                                                            "quarter, role, section and speaker.")
@click.option("--format", "format_", type=click.Choice(("text", "json", "csv", "xlsx")), default="text",
              show_default=True,
              help="text for a person, json, or every match (up to --max) as a csv or xlsx file: one row per hit "
                   "with its citation and link (--limit, --page and --group are ignored).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the same as --format json).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="csv/xlsx: write the file here (csv: default stdout; xlsx: needed unless stdout is redirected).")
@click.option("--max", "max_hits", type=click.IntRange(1, EXPORT_MAX), default=None,
              help=f"csv/xlsx: hits exported at most, the best first (default and most {EXPORT_MAX}).")
@click.pass_context
@handles_errors
def search(ctx, query, show_facets, format_, as_json, output, max_hits, **options):
    """Search what was said: words, "exact phrases", -excluded words, OR between alternatives.

    Each hit is marked [strong], [partial] or [weak]: how well it matches (0-1). A passage below the floor (0.5)
    does not match and is not shown; --min-score raises or lowers the bar (0 shows the closest weak matches). An
    executive's answer in the Q&A shows the analyst's question it answers (Q:).

    \b
    Examples:
      python -m archive search "gross margin drivers" --ticker KC
      python -m archive search '"enterprise cloud" -covid' --role executive --section qa
      python -m archive search "pricing pressure" --unit answer        # only executives' answers, with questions
      python -m archive search "gross margin" --group call --facets    # one heading per call; counts by facet
      python -m archive search "gross margin" --format xlsx -o margin.xlsx   # every match (up to 1000) as a file
    """
    if as_json and format_ not in ("text", "json"):
        raise click.UsageError(f"--json is --format json: give one of --json and --format {format_}")
    format_ = "json" if as_json else format_
    if format_ in ("csv", "xlsx"):
        return _export(ctx, request_from_cli(query, options), format_, output, max_hits)
    for given, name in ((output, "--output"), (max_hits, "--max")):
        if given is not None:
            raise click.UsageError(f"{name} is for an export: add --format csv or --format xlsx")
    as_json = format_ == "json"
    q = request_from_cli(query, options)
    results = open_archive(ctx).search(q)
    if as_json:
        return _emit(results.to_dict("cli"))
    for warning in results.warnings:
        click.echo(f"note: {warning}", err=True)
    if results.notice:
        _note(results.notice)
    if not results.hits:
        if results.total:
            click.echo(f"no more hits: {_matched(results)} (page {q.page} is past them)")
        elif results.weak:
            click.echo(f"no passage matches {query!r} closely; {results.weak} weak "
                       f"match{'es' if results.weak != 1 else ''} (--min-score 0 shows "
                       f"{'them' if results.weak != 1 else 'it'})")
        else:
            click.echo(f"nothing matches {query!r}" + (" with these filters" if q.filters() else ""))
        return
    meant = results.weights.get("interpreted")
    if meant:
        prefs = ([f"calls of {', '.join(meant['tickers'])}"] if meant["tickers"] else []) + \
            ([f"fiscal Q{meant['quarter']}"] if meant["quarter"] else [])
        click.echo(f"preferring {' and '.join(prefs)}, as the query names them (--literal: the words only)")
    if results.groups is not None:
        by_turn = {h.turn_id: h for h in results.hits}
        unit = "exchange" if q.unit == "exchange" else "turn"
        for n, g in enumerate(results.groups, q.offset + 1):
            period = period_text(g["year"], g["quarter"], "-")
            name = f"{g['ticker']} {period} ({g['company']})" if g["ticker"] and g["company"] else \
                f"{g['ticker'] or g['company'] or g['call_id']} {period}"
            shown = len(g["turn_ids"])
            more = f", best {shown} shown" if g["matched"] > shown else ""
            click.echo(f"{n:>3}. {name}, {_count(g['matched'], 'matching ' + unit)}{more}  {g['call_id']}"
                       + (f"  {g['date']}" if g["date"] else ""))
            for tid in g["turn_ids"]:
                if tid in by_turn:
                    click.echo(_hit_lines(by_turn[tid], "     - ", with_call=False))
    else:
        for h in results.hits:
            click.echo(_hit_lines(h, f"{h.rank:>3}. "))
    if show_facets:
        click.echo(_facet_lines(results.facets))
    hidden = f", {results.weak} weaker hidden (--min-score 0 shows them)" if results.weak else ""
    click.echo(f"{_matched(results)}{hidden}; {results.took_ms:.0f} ms")


def _export(ctx, q, format_: str, output: str | None, max_hits: int | None) -> None:
    """search --format csv|xlsx: every match up to max_hits as a file (Archive.export, archive/export.py)."""
    from . import export
    if format_ == "xlsx" and output is None and _stdout_is_a_terminal():
        raise click.UsageError("an XLSX workbook is a binary file: pass --output FILE (or redirect stdout to a file)")
    archive = open_archive(ctx)
    results = archive.export(q, max_hits or EXPORT_MAX, snippets=False)
    for warning in results.warnings:
        click.echo(f"note: {warning}", err=True)
    if results.notice:
        _note(results.notice)
    data = export.to_csv(results) if format_ == "csv" else export.to_xlsx(results, generation=archive.searcher.name)
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as e:
        raise click.FileError(output, hint=e.strerror or str(e)) from None
    click.echo(f"wrote {_count(len(results.hits), 'hit')} to {output}", err=True)
    if results.total > len(results.hits):
        click.echo(f"note: the cap cut the export short: more match than the {len(results.hits)} exported (--max, "
                   f"at most {EXPORT_MAX})", err=True)


def _stdout_is_a_terminal() -> bool:
    return sys.stdout.isatty()


def _trend_options():
    """The trend's declared fields after its terms (archive/request.py TREND_FIELDS), as options."""
    from .request import TREND_FIELDS
    return request_options(TREND_FIELDS[1:])


@main.command()
@click.argument("terms", nargs=-1, required=True, metavar="TERM [TERM...]")
@_trend_options()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's /api/trend shape).")
@click.pass_context
@handles_errors
def trend(ctx, terms, as_json, **options):
    """Compare how often up to four terms come up per fiscal quarter: for each term (a query, as in `search`),
    the calls mentioning it out of the calls on file, and the turns that mention it (every match, counted by
    words). --split company prints one table per ticker of --ticker.

    \b
    Examples:
      python -m archive trend covid demand liquidity
      python -m archive trend "supply chain" pricing --ticker KC --ticker YETI --split company
      python -m archive trend cloud --measure turns --years 2019-2021 --json
    """
    from .request import TrendRequest
    years = request_from_cli("", {k: options.pop(k) for k in ("year", "years")}).years   # the search's syntax
    req = TrendRequest.build(terms=terms, years=years, **{k: v for k, v in options.items() if v not in (None, ())})
    t = open_archive(ctx).trend(req)
    if as_json:
        return _emit(t)
    for warning in t["warnings"]:
        click.echo(f"note: {warning}", err=True)
    if not any(s["turns"] for s in t["series"]):
        click.echo(f"nothing matches {', '.join(map(repr, t['terms']))}" +
                   (" with these filters" if t["tickers"] or t["years"] else ""))
        return
    click.echo("\n\n".join(_trend_tables(t)))
    for s in t["series"]:
        if s["truncated"] and s["ticker"] in (None, t["series"][0]["ticker"]):
            click.echo(f"note: counted the first matching passages of {s['term']!r} only: later quarters may be "
                       "undercounted", err=True)


TREND_BAR = 12          # characters of the widest text bar


def _trend_tables(t: dict) -> list[str]:
    """One table per panel (the ticker set, or each ticker): quarters as rows, a column per term with its numbers
    and a bar (one scale for every panel)."""
    share = t["measure"] == "share"
    value = (lambda x: x["share"]) if share else (lambda x: x["turns"])
    top = max((value(x) for s in t["series"] for x in s["quarters"]), default=0) or 1
    panels: dict = {}
    for s in t["series"]:
        panels.setdefault(s["ticker"], []).append(s)
    width = (10 if share else 6) + 1 + TREND_BAR
    what = "share of calls that mention each term (mentioning/on file)" if share else "turns that mention each term"
    out = []
    for ticker, series in panels.items():
        where = f"{ticker} ({series[0]['company']})" if ticker and series[0]["company"] else ticker or \
            (", ".join(t["tickers"]) if t["tickers"] else "all calls")
        lines = [f"{where}: {what}, per fiscal quarter",
                 f"{'quarter':<9}" + "".join("  " + _cut(s["term"], width).ljust(width) for s in series)]
        for i, x in enumerate(series[0]["quarters"]):
            row = f"{period_text(x['year'], x['quarter']):<9}"
            for s in series:
                q = s["quarters"][i]
                if not q["calls_on_file"]:
                    cell = "no call"
                elif share:
                    cell = f"{q['calls']:>2}/{q['calls_on_file']:<2} {q['share']:>4.0%} " + _text_bar(q["share"], top)
                else:
                    cell = f"{q['turns']:>6} " + _text_bar(q["turns"], top)
                row += "  " + cell.ljust(width)
            lines.append(row.rstrip())
        lines.append("total    " + "".join("  " + f"{_count(s['turns'], 'turn')}, {_count(s['calls'], 'call')}"
                                           .ljust(width) for s in series).rstrip())
        out.append("\n".join(lines))
    return out


def _text_bar(v: float, top: float) -> str:
    """A bar of up to TREND_BAR characters, in eighths of a character."""
    eighths = round(v / top * TREND_BAR * 8) if top else 0
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


Q_CHARS = 160           # characters of a question shown under its answer


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _matched(results) -> str:
    unit = "exchange" if results.query.unit == "exchange" else "turn"
    return f"{_count(results.total, 'matching ' + unit)} in {_count(results.calls, 'call')}"


def _marked(snippet: str) -> str:
    """A snippet for a terminal: the marks as **...**, entities decoded."""
    import html
    import re
    return re.sub(r"</?mark>", "**", html.unescape(snippet or ""))


def _cut(text: str, limit: int) -> str:
    """text cut at a word boundary to about limit characters (an opened **mark** closed)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" …,;:")
    if cut.count("**") % 2:
        cut += "**"
    return cut + " …"


def _hit_lines(h, lead: str, with_call: bool = True) -> str:
    """One hit: its strength, where and who, the legs that found it; then its snippet and, for an answer, the
    question it answers."""
    legs = " ".join(f"{n}#{r}" for n, r in (("lex", h.lexical_rank), ("sem", h.semantic_rank)) if r)
    where = f"{h.ticker or h.company or '-'} {period_text(h.year, h.quarter, '-')}  " if with_call else ""
    pad = " " * len(lead)
    out = (f"{lead}[{h.strength}] {where}{h.speaker} [{h.role}, {SECTION_LABELS.get(h.section, h.section)}]  "
           f"{h.turn_id}  ({legs + ', ' if legs else ''}match {h.match:.2f})\n{pad}{_marked(h.snippet)}")
    if h.question:
        asked = h.question
        out += f"\n{pad}  Q: {asked['speaker']}: {_cut(_marked(asked.get('snippet') or asked.get('text')), Q_CHARS)}"
    return out


def _facet_lines(facets: dict) -> str:
    """One line per facet: 'company: KC 5, YETI 3' (quarters as Q1)."""
    lines = []
    for name, values in facets.items():
        if values:
            shown = [(f"Q{v['value']}" if name == "quarter" else str(v["value"])) for v in values]
            lines.append(f"{name}: " + ", ".join(f"{s} {v['count']}" for s, v in zip(shown, values)))
    return "\n".join(lines) if lines else "facets: none"


def _note(notice) -> None:
    """A warning that does not stop the command (e.g. calls stored but not searchable yet)."""
    hint = notice.hint_for(CLI)
    click.echo(f"note: {notice.message}" + (f"\nhint: {hint}" if hint else ""), err=True)


EXIT_UP_TO_DATE = 3


def _reindex_progress(quiet: bool):
    """(progress, log, close): a bar with chunks/s and time left on a terminal, plain lines otherwise."""
    import time as _time
    if quiet:
        return None, (lambda s: None), (lambda: None)
    if sys.stderr.isatty():
        from tqdm import tqdm
        bar = {}

        def progress(done, total):
            if "bar" not in bar:
                bar["bar"] = tqdm(total=total, unit="chunk", file=sys.stderr, dynamic_ncols=True, desc="embedding")
            bar["bar"].update(done - bar["bar"].n)
        return progress, (lambda s: click.echo(s, err=True)), (lambda: bar and bar["bar"].close())
    start, last = _time.perf_counter(), [0.0]

    def progress(done, total):
        now = _time.perf_counter()
        if now - last[0] >= 10 or done == total:
            last[0] = now
            rate = done / max(now - start, 1e-9)
            click.echo(f"embedded {done}/{total} chunks, {rate:.1f} chunks/s, "
                       f"{(total - done) / max(rate, 1e-9):.0f}s left", err=True)
    return progress, (lambda s: click.echo(s, err=True)), (lambda: None)


def _run_reindex(archive, full, quiet, as_json):
    progress, log, close = _reindex_progress(quiet or as_json)
    try:
        return archive.reindex(full=full, progress=progress, log=log)
    finally:
        close()


@main.command()
@click.option("--full", is_flag=True, help="Rebuild everything instead of applying the calls added, changed or "
                                          "deleted since the live index.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default=None, help="Where the model embeds (default: "
                                                                                  "$ARCHIVE_DEVICE or cpu).")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=None, help="Passages per embedding batch.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default=None,
              help="Numbers the model embeds in (default: $ARCHIVE_PRECISION or auto: bf16 where the CPU has it).")
@click.option("--lexical-engine", type=click.Choice(["whoosh", "tantivy"]), default=None,
              help="Build the lexical index with this engine from now on (default: $ARCHIVE_LEXICAL_ENGINE, else "
                   "the live index's engine, whoosh for a new archive). A change rebuilds the lexical index whole.")
@click.option("--engine", type=click.Choice(["local", "milvus"]), default=None,
              help="Search engine from now on (default: $ARCHIVE_ENGINE, else the live index's): local (the lexical "
                   "engine and FAISS, files under the home) or milvus (both legs in Milvus at $ARCHIVE_MILVUS_URI, "
                   "Milvus Lite at HOME/milvus.db when unset). A change builds the new engine's index whole, from "
                   "the cached vectors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress; only the summary (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_context
@handles_errors
def reindex(ctx, full, device, batch_size, precision, lexical_engine, engine, quiet, as_json):
    """Bring the search indexes up to date with the archive: lexical (Whoosh or tantivy) and vector (FAISS)
    locally, or both in Milvus (--engine milvus).

    Builds a new index generation beside the live one and switches to it atomically: searches keep being
    answered, and a crash or kill leaves the previous generation serving. Only text never embedded before is
    embedded. Exit status: 0 a new generation is live, 3 already up to date, 75 another reindex is running,
    2 error (the live generation is untouched).
    """
    if device or batch_size or precision or lexical_engine or engine:
        from dataclasses import replace
        a = open_archive(ctx)
        changes = {k: v for k, v in (("device", device), ("batch_size", batch_size), ("precision", precision),
                                     ("lexical_engine", lexical_engine), ("engine", engine)) if v}
        if lexical_engine and not engine and a.settings.engine == "milvus":
            changes["engine"] = "local"             # --lexical-engine names a local engine
        a.settings = replace(a.settings, **changes)
        a.settings.validate()
    result = _run_reindex(open_archive(ctx), full, quiet, as_json)
    if as_json:
        _emit(result.to_dict())
    elif result.outcome == "up-to-date":
        click.echo(f"already up to date: generation {result.generation}")
    else:
        d = result.to_dict()
        secs = d["seconds"] or {}
        what = "full build" if result.full else f"{d['added']} calls added, {d['changed']} changed, {d['deleted']} deleted"
        click.echo(f"generation {result.generation} is live: {d['passages']} passages of {d['calls']} calls ({what}) "
                   f"in {secs.get('total')}s")
        from .saved_cli import alerts_note
        alerts_note(result.alerts)
    sys.exit(EXIT_UP_TO_DATE if result.outcome == "up-to-date" else EXIT_OK)


@main.command()
@click.option("--queries", "query_files", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSONL query files in the ../shared/eval layout: --queries A.jsonl B.jsonl")
@click.argument("more_files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--mode", "modes", multiple=True, type=click.Choice(["lexical", "semantic", "hybrid"]),
              help="Modes to run (default: all three).")
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--fusion", type=click.Choice(["weighted", "rrf"]), default="weighted", show_default=True)
@click.option("--interpret/--literal", default=True, show_default=True,
              help="Whether searches prefer the companies and quarter a query names (see `search --help`).")
@click.option("--runs", "run_dir", type=click.Path(file_okay=False), default="runs", show_default=True,
              help="Folder for the run files (run_<mode>.jsonl), readable by ../shared/eval/score.py.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handles_errors
def evaluate(ctx, query_files, more_files, modes, k, fusion, interpret, run_dir, as_json):
    """Score the archive's search on known-item query sets: Recall@k and MRR@k per mode and kind."""
    from .evaluate import evaluate as run_eval
    query_files = tuple(query_files) + tuple(more_files)
    report = run_eval(open_archive(ctx), query_files, modes=modes or ("lexical", "semantic", "hybrid"), k=k,
                      run_dir=Path(run_dir), fusion=fusion, interpret=interpret)
    if as_json:
        return _emit(report)
    if report["missing_targets"]:
        click.echo(f"warning: {len(report['missing_targets'])} targets are not in this archive "
                   f"(e.g. {report['missing_targets'][0]})", err=True)
    groups = sorted({g for m in report["modes"].values() for g in m["groups"]})
    click.echo(f"{'group':<20} {'n':>4}  " + "  ".join(f"{m:>17}" for m in report["modes"]))
    click.echo(f"{'':<20} {'':>4}  " + "  ".join(f"{'R@' + str(k) + ' / MRR@' + str(k):>17}" for m in report["modes"]))
    for g in groups:
        cells = []
        for m in report["modes"].values():
            s = m["groups"][g]
            cells.append(f"{s['recall']:.3f} / {s['mrr']:.3f}".rjust(17))
        n = next(iter(report["modes"].values()))["groups"][g]["n"]
        click.echo(f"{g:<20} {n:>4}  " + "  ".join(cells))
    click.echo("latency ms p50/p95: " + ", ".join(f"{m} {v['latency_ms']['p50']}/{v['latency_ms']['p95']}"
                                                  for m, v in report["modes"].items()))
    click.echo(f"run files in {run_dir}/")

