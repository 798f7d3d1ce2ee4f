"""The `serve` command: the web app under waitress. It lives in the web layer and joins the archive's command
group in archive/__main__.py (the one place that composes the layers)."""
from __future__ import annotations

import click

from archive.cli import _archive, handles_errors
from archive.errors import ArchiveError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(2, 128), default=16, show_default=True,
              help="Request threads (cheap requests keep being answered while searches run).")
@click.option("--max-in-flight", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Searches running at once; more get 503 with Retry-After at once.")
@click.pass_context
@handles_errors
def serve(ctx, host, port, threads, max_in_flight):
    """Serve the JSON API (and the pages, as they come) with waitress. Debug is always off."""
    from waitress import serve as waitress_serve

    from . import create_app
    archive = _archive(ctx)
    try:
        archive.indexes
    except ArchiveError as e:
        click.echo(f"warning: {e.message} (search answers 503 until then; {e.hint})", err=True)
    from .security import require_key_beyond_loopback
    require_key_beyond_loopback(host, archive.settings.api_key)
    app = create_app(archive=archive, max_in_flight=max_in_flight)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {archive.stats()['calls']} calls: open http://{shown}:{port}/ "
               f"(API: http://{shown}:{port}/api, OpenAPI: /api/openapi.json; Ctrl-C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, max_request_body_size=64 * 1024,
                   ident="earnings-archive")


@click.command()
@click.option("--http", "http_mode", is_flag=True, help="Serve streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP mode: address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="HTTP mode: port.")
@click.pass_context
@handles_errors
def mcp(ctx, http_mode, host, port):
    """Run the MCP server for chat assistants: over stdio (default) or streamable HTTP (--http, loopback unless
    ARCHIVE_API_KEY is set, in which case every request needs the X-API-Key header)."""
    from .mcp_server import build_server
    from .security import require_key_beyond_loopback
    archive = _archive(ctx)
    server = build_server(archive)
    if not http_mode:
        server.run("stdio")
        return
    import uvicorn
    key = require_key_beyond_loopback(host, archive.settings.api_key)
    app = server.streamable_http_app(host=host)
    if key:
        from .security import ApiKeyMiddleware
        app = ApiKeyMiddleware(app, key)
    click.echo(f"MCP over streamable HTTP at http://{host}:{port}/mcp", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
