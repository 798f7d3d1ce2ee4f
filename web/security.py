"""Access control for the HTTP front doors: loopback needs no key; anything beyond it needs ARCHIVE_API_KEY, sent
in the X-API-Key header and compared in constant time."""
from __future__ import annotations

import hmac
import ipaddress

from archive.errors import ArchiveError

HEADER = "X-API-Key"


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_key_beyond_loopback(host: str, key: str) -> str:
    """The key to enforce ('' on loopback without one). Refuses to expose the service beyond loopback unkeyed."""
    if not is_loopback(host) and not key:
        raise ArchiveError(f"refusing to listen on {host} without an API key",
                           "set ARCHIVE_API_KEY (clients send it in the X-API-Key header), or use 127.0.0.1")
    return key


def key_ok(sent: str | None, key: str) -> bool:
    return bool(sent) and hmac.compare_digest(sent.encode(), key.encode())


class ApiKeyMiddleware:
    """ASGI: 401 unless the X-API-Key header holds the key."""

    def __init__(self, app, key: str):
        self.app, self.key = app, key

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            if not key_ok(headers.get(HEADER.lower()), self.key):
                body = b'{"error": {"code": "unauthorized", "message": "missing or wrong API key", ' \
                       b'"hint": "send it in the X-API-Key header"}}'
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
