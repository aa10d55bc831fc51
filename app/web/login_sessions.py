"""The login-session middleware's backend: a row per logged-in agent, nothing for anyone else.

Litestar's server-side backend keeps whatever id the browser sends and stores a row for every
visitor. This one accepts only ids it issued and that are still live, issues a fresh random id
at login (the old row deleted, so a planted id is worthless), writes nothing for anonymous
visitors, and stores the rows through `app.db.unit_of_work` with the app's clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import reads_only, unit_of_work
from app.domain.agents.sessions import (
    Lifetimes,
    LoginSession,
    end_login_session,
    find_login_session,
    keep_login_session,
    start_login_session,
)
from app.domain.clock import Clock

SESSION_ID_BYTES = 32
MAX_SESSION_ID_LENGTH = 255
_CURRENT = "leadheat.login_session"  # the LoginSession the request came with, if any
_FRESH = "leadheat.login_session_fresh"  # a login happened: store under a new id


def begin_login(request: ASGIConnection[Any, Any, Any, Any], data: dict[str, str]) -> None:
    """Log the request's client in: its session is stored under a new id when the response starts."""
    request.scope[_FRESH] = True  # type: ignore[literal-required]
    request.set_session(data)


class LoginSessionBackend(ServerSideSessionBackend):
    def __init__(
        self,
        config: ServerSideSessionConfig,
        sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        clock: Clock,
        lifetimes: Lifetimes,
    ) -> None:
        super().__init__(config=config)
        self.sessions = sessions
        self.clock = clock
        self.lifetimes = lifetimes

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:  # type: ignore[override]
        current: LoginSession | None = connection.scope.get(_CURRENT)  # type: ignore[call-overload]
        return current.session_id if current else None

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        current = None
        if session_id and len(session_id) <= MAX_SESSION_ID_LENGTH:
            with reads_only():
                async with unit_of_work(self.sessions) as session:
                    current = await find_login_session(session, session_id, self.clock())
        connection.scope[_CURRENT] = current  # type: ignore[literal-required]
        return dict(current.data) if current else {}

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        scope = connection.scope
        current: LoginSession | None = scope.get(_CURRENT)  # type: ignore[call-overload]
        data = {str(k): str(v) for k, v in scope_session.items()} if isinstance(scope_session, dict) else {}
        now = self.clock()
        headers = MutableScopeHeaders.from_message(message)
        cookie = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        if not data or scope_session is Empty:
            if current is not None:
                async with unit_of_work(self.sessions) as session:
                    await end_login_session(session, current.session_id)
            if self.config.key in connection.cookies:  # an ended or unknown id: the browser forgets it
                cookie.pop("max_age", None)
                headers.add(
                    "Set-Cookie",
                    Cookie(value="", key=self.config.key, expires=0, **cookie).to_header(header=""),
                )
            return
        if current is None or scope.get(_FRESH):  # type: ignore[call-overload]
            new_id = secrets.token_urlsafe(SESSION_ID_BYTES)
            async with unit_of_work(self.sessions) as session:
                if current is not None:
                    await end_login_session(session, current.session_id)
                await start_login_session(session, new_id, data, self.lifetimes, now)
            cookie["max_age"] = int(self.lifetimes.absolute.total_seconds())
            headers.add(
                "Set-Cookie", Cookie(value=new_id, key=self.config.key, **cookie).to_header(header="")
            )
            return
        async with unit_of_work(self.sessions) as session:
            await keep_login_session(session, current, data, self.lifetimes, now)
