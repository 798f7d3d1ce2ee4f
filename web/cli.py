"""The `serve` command: the web app under waitress. It lives in the web layer and joins the archive's command
group in archive/__main__.py (the one place that composes the layers)."""
from __future__ import annotations

import click

from archive.cli import handles_errors, open_archive
from archive.errors import CLI

FD_RESERVE = 256   # file descriptors kept for everything but client connections (index segments, SQLite, model)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(2, 128), default=16, show_default=True,
              help="Request threads (cheap requests keep being answered while searches run).")
@click.option("--max-in-flight", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Searches running at once; more get 503 with Retry-After at once.")
@click.option("--connection-limit", type=click.IntRange(10, 100_000), default=1000, show_default=True,
              help="Open connections held at once (slow and idle ones included); beyond it new connections wait "
                   "in the listen backlog. Each takes a file descriptor: the open-files limit (`ulimit -n`) is "
                   "raised towards its hard limit as needed, and the limit is lowered to fit, keeping "
                   f"{FD_RESERVE} descriptors for the index, the store and the model.")
@click.option("--channel-timeout", type=click.IntRange(1, 3600), default=20, show_default=True,
              help="Seconds a connection may stay silent (an idle keep-alive, a request that stops arriving, a "
                   "client that stops reading) before the server closes it; checked every second.")
@click.pass_context
@handles_errors
def serve(ctx, host, port, threads, max_in_flight, connection_limit, channel_timeout):
    """Serve the pages and the JSON API with waitress (debug always off). The model and the live index are loaded
    before the port opens, so the first search is as fast as the tenth. Slow or idle connections cannot starve the
    server: waitress buffers a request until it is complete (no request thread waits on a slow client), the
    connection limit is far above what a handful of clients need, and a connection silent for --channel-timeout
    seconds is closed. Beyond loopback, run it behind a reverse proxy (docs/operations.md)."""
    from waitress import serve as waitress_serve

    from . import create_app
    from .security import require_key_beyond_loopback
    archive = open_archive(ctx)
    require_key_beyond_loopback(host, archive.settings.api_key)
    _warm(archive)
    app = create_app(archive=archive, max_in_flight=max_in_flight)
    _send_webhooks(archive)
    connection_limit = _fit_connection_limit(connection_limit)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {archive.stats()['calls']} calls: open http://{shown}:{port}/ "
               f"(API: http://{shown}:{port}/api, OpenAPI: /api/openapi.json; Ctrl-C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="earnings-archive",
                   max_request_body_size=64 * 1024, max_request_header_size=64 * 1024,
                   connection_limit=connection_limit, channel_timeout=channel_timeout,
                   cleanup_interval=1,        # look for silent connections every second, not every 30 s
                   asyncore_use_poll=True)    # poll(), not select(): no 1024-descriptor ceiling


def _send_webhooks(archive) -> None:
    """The saved searches' webhook deliveries, sent in the background while the server runs (queued by ingests
    and reindexes in any process; failures are logged here and retried with backoff: archive/webhooks.py)."""
    import logging
    logger = logging.getLogger("archive.webhooks")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    archive.webhook_sender().start()


def _fit_connection_limit(wanted: int) -> int:
    """The connection limit the open-files limit allows: raise the soft limit towards the hard one if it is short
    of `wanted` plus FD_RESERVE, and lower the connection limit (with a note) if it is still short."""
    try:
        import resource
    except ImportError:                       # not a POSIX system: nothing to check
        return wanted
    need = wanted + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return wanted
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    except (ValueError, OSError):
        pass
    if soft >= need:
        return wanted
    fitted = max(10, soft - FD_RESERVE)
    click.echo(f"note: the open-files limit is {soft} (ulimit -n), so at most {fitted} connections are held at "
               f"once, not {wanted} (hint: raise the limit, e.g. `ulimit -n {need}` or LimitNOFILE= in a systemd "
               "unit)", err=True)
    return fitted


def _warm(archive) -> None:
    """Load the model and open the live index before accepting requests; say what is not ready."""
    click.echo("loading the search index and the model ...", err=True)
    ready = archive.warm()
    if not ready["ready"]:
        e = archive.readiness_error()
        click.echo(f"warning: {e.message}; searches answer 503 until then (hint: {e.hint_for(CLI)})", err=True)
    elif ready["degraded"]:
        click.echo(f"warning: {ready['degraded']}; lexical search answers meanwhile", err=True)
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
