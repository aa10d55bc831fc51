"""Browsers that have logged in to an account before, so guessing cannot lock its owner out.

After a successful login the browser keeps a signed cookie naming the account. A later login
to that account from that browser is counted on its own counter instead of the account's:
someone guessing from elsewhere can block the account for new browsers, never for the owner's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

COOKIE = "leadheat_known"
LIFETIME = timedelta(days=365)


def _signature(secret: str, nonce: str, email: str) -> str:
    return hmac.new(secret.encode(), f"known-device:{nonce}:{email}".encode(), hashlib.sha256).hexdigest()


def known_device(connection: ASGIConnection[Any, Any, Any, Any], email: str, secret: str) -> str | None:
    """This browser's id when it has logged in to `email` before (a valid signed cookie)."""
    nonce, _, signature = (connection.cookies.get(COOKIE) or "").partition(".")
    if nonce and hmac.compare_digest(signature, _signature(secret, nonce, email)):
        return nonce
    return None


def remember_device(email: str, secret: str, secure: bool, nonce: str | None = None) -> Cookie:
    nonce = nonce or secrets.token_urlsafe(16)
    return Cookie(
        key=COOKIE,
        value=f"{nonce}.{_signature(secret, nonce, email)}",
        path="/login",
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="lax",
    )
