"""The `serve` command: the web app under waitress. It lives in the web layer and joins the archive's command
group in archive/__main__.py (the one place that composes the layers)."""
from __future__ import annotations

import click

from archive.cli import handles_errors, open_archive
from archive.errors import CLI


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
    """Serve the pages and the JSON API with waitress (debug always off). The model and the live index are loaded
    before the port opens, so the first search is as fast as the tenth."""
    from waitress import serve as waitress_serve

    from . import create_app
    from .security import require_key_beyond_loopback
    archive = open_archive(ctx)
    require_key_beyond_loopback(host, archive.settings.api_key)
    _warm(archive)
    app = create_app(archive=archive, max_in_flight=max_in_flight)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {archive.stats()['calls']} calls: open http://{shown}:{port}/ "
               f"(API: http://{shown}:{port}/api, OpenAPI: /api/openapi.json; Ctrl-C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, max_request_body_size=64 * 1024,
                   ident="earnings-archive")


def _warm(archive) -> None:
    """Load the model and open the live index before accepting requests; say what is not ready."""
    click.echo("loading the search index and the model ...", err=True)
    ready = archive.warm()
    if not ready["ready"]:
        e = archive.readiness_error()
        click.echo(f"warning: {e.message}; searches answer 503 until then (hint: {e.hint_for(CLI)})", err=True)
    notice = archive.pending_notice()
    if notice is not None:
        click.echo(f"note: {notice.message} (hint: {notice.hint_for(CLI)})", err=True)


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
    archive = open_archive(ctx)
    server = build_server(archive)
    _warm(archive)
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
