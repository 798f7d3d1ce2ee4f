"""One error shape for every failure of the API: {"error": {"code", "message", "hint"}} with the right status;
never an HTML page or a traceback to an API client."""
from __future__ import annotations

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from archive.errors import ArchiveError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, hint: str | None = None):
    if not request.path.startswith("/api"):          # a person in a browser gets a page
        from types import SimpleNamespace

        from flask import make_response, render_template
        return make_response(render_template("base.html", error=SimpleNamespace(message=message, hint=hint)),
                             status)
    resp = jsonify({"error": {"code": code, "message": message, "hint": hint}})
    resp.status_code = status
    return resp


def register(app):
    @app.errorhandler(ArchiveError)
    def archive_error(e: ArchiveError):
        return error_response(e.status, e.code, e.message, e.hint)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = (e.name or "error").lower().replace(" ", "_")
        hints = {404: "see /api/openapi.json for the routes", 405: "see /api/openapi.json for the methods",
                 413: "send a smaller request"}
        resp = error_response(e.code or 500, code, e.description or e.name, hints.get(e.code))
        for name, value in e.get_headers():         # keep Allow (405), Retry-After, WWW-Authenticate ...
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "internal", "the server could not answer this request",
                              "try again; if it persists, report it with the time of the request")
