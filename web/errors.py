"""The web's one translation of errors: an ArchiveError answers with the HTTP status its class declares, as
{"error": {"code", "message", "hint"}} under /api (hint worded for the API) and as a page otherwise (hint worded
for a person, never a shell command); never an HTML page or a traceback to an API client."""
from __future__ import annotations

import logging
from types import SimpleNamespace

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from archive.errors import API, PAGE, ArchiveError

log = logging.getLogger(__name__)


def for_page(e: ArchiveError) -> SimpleNamespace:
    """What a page shows of an error: its message and its hint in a person's terms."""
    return SimpleNamespace(message=e.message, hint=e.hint_for(PAGE), status=e.status)


def error_response(status: int, code: str, message: str, hint: str | None = None, param: str | None = None):
    if not request.path.startswith("/api"):          # a person in a browser gets a page
        from flask import make_response, render_template
        return make_response(render_template("base.html", error=SimpleNamespace(message=message, hint=hint)),
                             status)
    body = {"code": code, "message": message, "hint": hint}
    if param:
        body["param"] = param
    resp = jsonify({"error": body})
    resp.status_code = status
    return resp


def register(app):
    @app.errorhandler(ArchiveError)
    def archive_error(e: ArchiveError):
        door = API if request.path.startswith("/api") else PAGE
        return error_response(e.status, e.code, e.message, e.hint_for(door), e.param)

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
