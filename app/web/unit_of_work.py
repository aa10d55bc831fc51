"""One unit of work per HTTP request: the request's database session commits once, when the
response starts, if the status is 2xx or 3xx, and rolls back otherwise (advanced-alchemy's
autocommit rule, including redirects: the dashboard answers a saved form with 303).

It runs as a middleware inside the login-session middleware rather than as an app-level
before-send hook, so the transaction has ended before the login session is written back (on
SQLite a still-open write transaction would hold the lock that write waits for). A commit that
fails never reaches the client as a success: the response becomes a 503 saying nothing was saved.
Safe methods (GET, HEAD, OPTIONS), and handlers marked as reading only, begin a plain
transaction: on SQLite it takes no write lock.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import msgspec
from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import commit, set_writes

log = logging.getLogger("leadheat.web")
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NOT_SAVED = "The change could not be saved; nothing was changed. Please try again."
READS_ONLY = "reads_only"


async def end_unit_of_work(scope: Scope, scope_key: str, status: int) -> None:
    """Commit (2xx, 3xx) or roll back the request's session, then close it."""
    session = cast("AsyncSession | None", get_aa_scope_state(scope, scope_key))
    if session is None:
        return
    delete_aa_scope_state(scope, scope_key)
    try:
        if 200 <= status < 400:
            await commit(session)
        else:
            await session.rollback()
    finally:
        await session.close()


def unit_of_work_middleware(scope_key: str) -> Any:
    """The middleware factory, for the session the SQLAlchemy plugin keeps under `scope_key`."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def unit_of_work(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            set_writes(scope["method"] not in READING_METHODS and not _reads_only(scope))
            failed = False

            async def send_after_ending(message: Message) -> None:
                nonlocal failed
                if failed:  # the body of a response we replaced
                    return
                if message["type"] == "http.response.start":
                    try:
                        await end_unit_of_work(scope, scope_key, message["status"])
                    except Exception:
                        log.exception("Commit failed on %s %s", scope["method"], scope["path"])
                        failed = True
                        await _send_not_saved(scope, send)
                        return
                    finally:
                        set_writes(True)  # what follows (the login session's write) may write
                await send(message)

            try:
                await app(scope, receive, cast("Send", send_after_ending))
            finally:
                # A response that never started (a dropped connection): nothing is committed.
                await end_unit_of_work(scope, scope_key, 500)
                set_writes(True)

        return unit_of_work

    return middleware


def _reads_only(scope: Scope) -> bool:
    """A handler marked `opt={READS_ONLY: True}` only reads though its method is POST (login)."""
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(READS_ONLY))


async def _send_not_saved(scope: Scope, send: Send) -> None:
    if scope["path"].startswith("/api/"):
        body, media = msgspec.json.encode({"error": NOT_SAVED, "field": None}), b"application/json"
    else:
        body, media = NOT_SAVED.encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", media), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
