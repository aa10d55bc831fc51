"""`RateLimit-*` headers on every answer of the API, errors included."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.tokens.limits import Admission

_KEY = "leadheat_rate_limit"


def remember_admission(connection: ASGIConnection[Any, Any, Any, Any], admission: Admission) -> None:
    connection.scope.setdefault("state", {})[_KEY] = admission  # type: ignore[typeddict-item]


def rate_limit_headers(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            admission = scope.get("state", {}).get(_KEY)
            if message["type"] == "http.response.start" and isinstance(admission, Admission):
                headers = MutableScopeHeaders.from_message(message)
                for name, value in admission.headers().items():
                    headers[name] = value
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
