"""Every error the archive raises on purpose. Each carries a message that names the problem, a hint that names
the next step, and the HTTP status a web front door maps it to.

ArchiveError (500)
 ├── InputFileError (422)      a file that cannot be read as a transcript: empty, binary, malformed, too big...
 ├── DuplicateCallError (409)  the same call (ticker + fiscal period) already stored from another file
 ├── NotFoundError (404)       an id that is not in the archive
 ├── BadRequestError (400)     a parameter out of range or of the wrong kind
 └── StoreError (503)          the SQLite archive cannot be opened or written
"""
from __future__ import annotations


class ArchiveError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "hint": self.hint}


class InputFileError(ArchiveError):
    status = 422
    code = "bad_file"


class DuplicateCallError(ArchiveError):
    status = 409
    code = "duplicate_call"


class NotFoundError(ArchiveError):
    status = 404
    code = "not_found"


class BadRequestError(ArchiveError):
    status = 400
    code = "bad_request"


class StoreError(ArchiveError):
    status = 503
    code = "store_unavailable"
