"""End the request's database session as soon as the response starts.

advanced-alchemy closes it in an app-level before-send hook, which runs *after* the session
middleware has written the login session back. On SQLite a request whose transaction is
still open (a handler that failed half-way) would then hold the write lock the session store
waits for. Closing it first (rolling back anything uncommitted) removes that wait for good.
"""

from __future__ import annotations

from typing import Any, cast

from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state
from advanced_alchemy.extensions.litestar.plugins.init.config.common import SESSION_SCOPE_KEY
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession


def close_db_session_first(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_after_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = cast("AsyncSession | None", get_aa_scope_state(scope, SESSION_SCOPE_KEY))
                if session is not None:
                    await session.close()
                    delete_aa_scope_state(scope, SESSION_SCOPE_KEY)
            await send(message)

        await app(scope, receive, cast("Any", send_after_closing))

    return middleware
