"""The Flask app over the Archive service: JSON API (and, next, the pages). create_app(settings=None, *,
archive=None)."""
from __future__ import annotations

from flask import Flask

from archive.config import Settings
from archive.service import Archive

MAX_REQUEST_BYTES = 64 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(settings: Settings | None = None, *, archive: Archive | None = None) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["ARCHIVE"] = archive or Archive.open(settings or Settings.from_env())
    app.json.sort_keys = False

    from . import api, errors, pages
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
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

    @app.after_request
    def headers(resp):
        for k, v in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, v)
        return resp

    return app
