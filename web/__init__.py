"""The Flask app over the Archive service: the pages (web/pages.py) and the JSON API (web/api.py), with one
error translation (web/errors.py), an API key beyond loopback, a bound on searches in flight and security
headers. create_app(settings=None, *, archive=None)."""
from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from archive.config import Settings
from archive.service import Archive

MAX_REQUEST_BYTES = 64 * 1024
HEAVY = {"api.search", "api.search_csv", "api.search_xlsx", "api.trend", "api.connector_search", "pages.search",
         "pages.trend", "saved.page"}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SafeJSONProvider(DefaultJSONProvider):
    """JSON whose strings never carry raw <, >, & or ' (escaped as \\u003c ...): echoed input stays inert even if a
    client renders it as HTML."""
    sort_keys = False

    def dumps(self, obj, **kwargs):
        out = super().dumps(obj, **kwargs)
        return (out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("'", "\\u0027"))


def create_app(settings: Settings | None = None, *, archive: Archive | None = None,
               max_in_flight: int = 4) -> Flask:
    """max_in_flight bounds the searches running at once: one more is answered at once with 503 and
    Retry-After rather than queued without end (health, stats and reads of stored calls are not bounded)."""
    import threading
    app = Flask(__name__)
    app.json = SafeJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["ARCHIVE"] = archive or Archive.open(settings or Settings.from_env())

    from . import api, errors, pages
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    from . import feeds, saved              # saved searches: their API and pages; their Atom feeds
    app.register_blueprint(saved.bp)
    app.register_blueprint(feeds.bp)
    errors.register(app)

    key = app.config["ARCHIVE"].settings.api_key

    @app.before_request
    def api_key():
        """With ARCHIVE_API_KEY set, every API request needs it in the X-API-Key header."""
        from flask import request

        from .security import HEADER, key_ok
        if key and request.path.startswith("/api") and not key_ok(request.headers.get(HEADER), key):
            from .errors import error_response
            return error_response(401, "unauthorized", "missing or wrong API key",
                                  "send it in the X-API-Key header")

    slots = threading.BoundedSemaphore(max_in_flight)

    @app.before_request
    def admit():
        from flask import g, request
        if request.endpoint in HEAVY:
            if not slots.acquire(blocking=False):
                from .errors import error_response
                resp = error_response(503, "busy", "the server is busy with other searches",
                                      "retry in a second")
                resp.headers["Retry-After"] = "1"
                return resp
            g.slot = True

    @app.teardown_request
    def release(exc):
        from flask import g
        if g.pop("slot", False):
            slots.release()

    @app.after_request
    def headers(resp):
        for k, v in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, v)
        return resp

    return app
