"""HSTS: when the app is served over HTTPS (secure cookies), browsers are told to stay on HTTPS."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

HSTS = "max-age=31536000; includeSubDomains"


async def strict_transport_security(message: Message, scope: Scope) -> None:
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["Strict-Transport-Security"] = HSTS
