"""`archive saved ...`: keep searches under a name, see what each found since, hear about new calls that match
(an Atom feed per saved search, and an optional webhook), from the command line. The commands call the Archive
service (archive/service.py) like every other door."""
from __future__ import annotations

import logging
import sys

import click

from .cli import _emit, _note, handles_errors, open_archive, request_from_cli, request_options
from .errors import NotReadyError


@click.group()
def saved():
    """Saved searches and their alerts.

    A saved search is run again after every index build that adds calls: the hits of those new calls are
    recorded (its Atom feed at /feeds/NAME.atom lists them; the web page marks them new) and, when it has a
    webhook, POSTed to it as JSON by the running server (or by `saved deliver`).

    \b
    Examples:
      python -m archive saved add "Pricing pressure" "pricing pressure" --role executive
      python -m archive saved add "KC margins" "gross margin" --ticker KC --webhook https://hooks.example.com/x
      python -m archive saved list
      python -m archive saved show "Pricing pressure"
      python -m archive saved remove "KC margins"
    """


@saved.command("add")
@click.argument("name")
@request_options()
@click.option("--webhook", metavar="URL", help="POST each batch of new hits to this http(s) URL as JSON.")
@click.option("--replace", is_flag=True, help="Replace a saved search of the same name (its history goes).")
@click.option("--json", "as_json", is_flag=True, help="Print the saved search as JSON.")
@click.pass_context
@handles_errors
def add(ctx, name, webhook, replace, as_json, query, **options):
    """Save the search QUERY (with its filters) under NAME."""
    q = request_from_cli(query, options)
    s = open_archive(ctx).save_search(name, q, webhook, replace=replace)
    if as_json:
        return _emit(s)
    for w in s["warnings"]:
        click.echo(f"note: {w}", err=True)
    click.echo(f"saved {s['name']!r}: {s['described']}\nfeed: {s['feed_url']}"
               + (f"\nwebhook: {s['webhook']}" if s["webhook"] else ""))


@saved.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def list_(ctx, as_json):
    """The saved searches, with what each found and its webhook's state."""
    rows = open_archive(ctx).saved_searches()
    if as_json:
        return _emit(rows)
    if not rows:
        click.echo('no saved searches (save one: python -m archive saved add NAME "QUERY")')
        return
    for s in rows:
        new = f", {s['new']} new since last viewed" if s["new"] else ""
        click.echo(f"{s['name']}  [{s['slug']}]\n    {s['described']}\n    {s['recorded']} hits recorded{new}; "
                   f"last checked {s['checked_at'] or 'never'}" + (f"; error: {s['last_error']}" if s["last_error"]
                                                                  else "") + _webhook_line(s))


@saved.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def show(ctx, name, as_json):
    """One saved search: its recorded hits (newest first) and its webhook deliveries."""
    s = open_archive(ctx).saved_search(name)
    if as_json:
        return _emit(s)
    click.echo(f"{s['name']}  [{s['slug']}]\n  {s['described']}\n  feed: {s['feed_url']}" + _webhook_line(s, "  "))
    if not s["recorded_hits"]:
        click.echo("  no hits recorded yet: they are recorded when new calls that match are indexed")
    for h in s["recorded_hits"]:
        click.echo(f"  {h['found_at'][:19]}  [{h['strength']}] {h['citation']}  {h['turn_id']}")
    for d in s["deliveries"]:
        click.echo(f"  delivery {d['id']}: {d['status']} after {d['attempts']} attempt(s)"
                   + (f", last error: {d['last_error']}" if d["last_error"] else ""))


@saved.command("remove")
@click.argument("name")
@click.pass_context
@handles_errors
def remove(ctx, name):
    """Forget a saved search, its recorded hits and its queued deliveries."""
    s = open_archive(ctx).remove_saved(name)
    click.echo(f"removed {s['name']!r}")


@saved.command("deliver")
@click.option("--wait", type=click.FloatRange(0, 86400), default=0, show_default=True, metavar="SECONDS",
              help="Keep retrying failed deliveries as their backoff allows, for up to this long.")
@click.option("--json", "as_json", is_flag=True, help="Print the attempts as JSON.")
@click.pass_context
@handles_errors
def deliver(ctx, wait, as_json):
    """Send the webhook deliveries that are due (the web server does this by itself; run this from cron when no
    server runs). Exit status 0 when every attempt succeeded, 1 when some failed (they are retried later)."""
    archive = open_archive(ctx)
    if not as_json:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    sender = archive.webhook_sender()
    attempts = sender.until_done(wait) if wait else sender.send_due()
    if as_json:
        _emit([a.__dict__ for a in attempts])
    else:
        ok = sum(a.ok for a in attempts)
        click.echo(f"{len(attempts)} delivery attempt(s): {ok} delivered, {len(attempts) - ok} failed"
                   if attempts else "nothing to deliver")
    sys.exit(0 if all(a.ok for a in attempts) else 1)


def _webhook_line(s: dict, indent: str = "    ") -> str:
    if not s["webhook"]:
        return ""
    d = s["last_delivery"]
    state = "no delivery yet" if d is None else f"last delivery {d['status']}" + (
        f" ({d['last_error']})" if d["last_error"] else "")
    pending = s["delivery_counts"].get("pending", 0)
    return f"\n{indent}webhook {s['webhook']}: {state}" + (f"; {pending} pending" if pending else "")


def alerts_note(alerts: dict | None) -> None:
    """After an index build: what the saved searches found in the calls it added."""
    if not alerts or not alerts.get("saved_searches") and not alerts.get("error"):
        return
    if alerts.get("error"):
        _note(NotReadyError(f"the saved searches were not checked: {alerts['error']}"))
        return
    msg = f"saved searches: {alerts['new_hits']} new hit{'s' if alerts['new_hits'] != 1 else ''} in the calls added"
    if alerts["deliveries"]:
        msg += (f"; {alerts['deliveries']} webhook deliver{'ies' if alerts['deliveries'] != 1 else 'y'} queued "
                "(the running server sends them, or `python -m archive saved deliver`)")
    click.echo(msg, err=True)
    for f in alerts["failed"]:
        click.echo(f"warning: saved search {f['name']!r} could not run: {f['error']}", err=True)
