"""Every error the archive raises on purpose, in one tree. Each names the problem (message) and the next step
(hint), and says which request parameter it is about (param, with an example value) or which archive command
fixes it (command). The front doors word that in their own terms (hint_for): the CLI says `--role executive`
and `python -m archive reindex`, the API says role=executive, a web page says it in words. The HTTP status and
the CLI exit status of each class are declared here; web/errors.py and archive/cli.py each translate in one
place.

ArchiveError (500, exit 2)
 ├── InputFileError (422)      a file that cannot be read as a transcript: empty, binary, malformed, too big...
 ├── NotFoundError (404)       an id that is not in the archive
 ├── BadRequestError (400)     a parameter out of range or of the wrong kind
 ├── ConflictError (409)       ReindexRunningError (exit 75): another reindex holds the lock
 └── StoreError (503)          the SQLite archive or the search index cannot be opened or written
      └── NotReadyError (503)  the search index is not built yet, or the server is still starting
           └── EngineUnavailableError (503)  the search engine (Milvus) cannot be reached
"""
from __future__ import annotations

import json

CLI, API, MCP, PAGE = "cli", "api", "mcp", "page"
PROGRAM = "python -m archive"


class ArchiveError(Exception):
    status = 500
    exit_code = 2
    code = "internal"

    def __init__(self, message: str, hint: str | None = None, *, param: str | None = None,
                 example: str | None = None, command: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.param = param          # the request field it is about (its web name)
        self.example = example      # a valid value of it
        self.command = command      # the archive command that fixes it, without the program: 'reindex --full'

    def hint_for(self, door: str = CLI) -> str | None:
        """The hint in the terms of one front door (cli | api | mcp | page)."""
        parts = [self.hint] if self.hint else []
        if self.param and self.example is not None:
            parts.append("e.g. " + _example(door, self.param, self.example))
        if self.command:
            if door == CLI:
                parts.append(f"run `{PROGRAM} {self.command}`")
            elif door == PAGE:
                parts.append(f"the archive's operator can fix this with the {self.command.split()[0]} command")
            else:
                parts.append(f"an operator runs: {PROGRAM} {self.command}")
        return "; ".join(parts) or None

    def __str__(self) -> str:
        hint = self.hint_for(CLI)
        return f"{self.message} ({hint})" if hint else self.message

    def to_dict(self, door: str = API) -> dict:
        d = {"code": self.code, "message": self.message, "hint": self.hint_for(door)}
        if self.param:
            d["param"] = self.param
        return d


def _example(door: str, param: str, value: str) -> str:
    from .request import BY_NAME            # the door names of request fields are declared there
    field = BY_NAME.get(param)
    if door == CLI:
        if field is not None and field.kind == "bool":
            return "--literal" if value in ("0", "false") else "--interpret"
        return f"{field.cli if field else '--' + param.replace('_', '-')} {value}" if param != "q" else repr(value)
    if door == MCP:
        name = field.mcp_name if field else param
        return f'"{name}": {value if value.replace(".", "").isdigit() else json.dumps(value)}'
    if door == PAGE:
        return f"{param.replace('_', ' ')}: {value}"
    return f"{param}={value}"


class InputFileError(ArchiveError):
    status = 422
    code = "bad_file"


class NotFoundError(ArchiveError):
    status = 404
    code = "not_found"


class BadRequestError(ArchiveError):
    status = 400
    code = "bad_request"


class ConflictError(ArchiveError):
    status = 409
    code = "conflict"


class ReindexRunningError(ConflictError):
    exit_code = 75              # EX_TEMPFAIL: try again later
    code = "reindex_running"


class StoreError(ArchiveError):
    status = 503
    code = "store_unavailable"


class NotReadyError(StoreError):
    code = "not_ready"


class EngineUnavailableError(NotReadyError):
    """The search engine (a Milvus server, a Milvus Lite file) cannot be reached: nothing stored is lost."""
    code = "engine_unavailable"
