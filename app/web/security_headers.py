"""Headers on every response: what the browser may load and run, and what it may keep.

The pages run only the app's own scripts (htmx and its SSE extension, the API docs' Swagger
UI, all under /static): no inline script, no eval, no inline style, nothing from another
origin, and no page of ours inside another site's frame. Responses that may carry personal
data (pages, fragments, the live stream, the API) are never stored by the browser or a proxy;
only the static assets are cacheable.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # The favicon is an empty data: URL (no request for it); QR codes come from the app.
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
STATIC_PREFIX = "/static/"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: it sees every response, the framework's own 404s and 405s included."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in HEADERS.items():
        headers[name] = value
    if not scope.get("path", "").startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
