"""The `serve` command: the web app under waitress. It lives in the web layer and joins the archive's command
group in archive/__main__.py (the one place that composes the layers)."""
from __future__ import annotations

import click

from archive.cli import _archive, handles_errors
from archive.errors import ArchiveError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@click.pass_context
@handles_errors
def serve(ctx, host, port, threads):
    """Serve the JSON API (and the pages, as they come) with waitress. Debug is always off."""
    from waitress import serve as waitress_serve

    from . import create_app
    archive = _archive(ctx)
    try:
        archive.indexes
    except ArchiveError as e:
        click.echo(f"warning: {e.message} (search answers 503 until then; {e.hint})", err=True)
    app = create_app(archive=archive)
    click.echo(f"serving {archive.stats()['calls']} calls at http://{host}:{port}/api/health "
               f"(API: http://{host}:{port}/api/search?q=...)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, max_request_body_size=64 * 1024,
                   ident="earnings-archive")
