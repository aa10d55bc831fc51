"""Dashboard login: email and password, a server-side session, rate-limited attempts."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent
from app.domain.agents.service import active_agent, authenticate
from app.web.unit_of_work import READS_ONLY

MAX_FAILURES = 5
WINDOW_SECONDS = 300


class LoginRequired(Exception):
    """Raised for a dashboard request without a live session; answered with a redirect."""


class LoginThrottle:
    """At most MAX_FAILURES failed logins per address and email in WINDOW_SECONDS."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < time.monotonic() - WINDOW_SECONDS:
            failures.popleft()
        return failures

    def blocked(self, key: tuple[str, str]) -> bool:
        return len(self._recent(key)) >= MAX_FAILURES

    def failed(self, key: tuple[str, str]) -> None:
        self._recent(key).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""


async def provide_agent(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Agent:
    """The logged-in agent; every dashboard page and fragment is scoped to their tenant."""
    raw = request.session.get("agent_id") if request.scope.get("session") is not None else None
    try:
        agent = await active_agent(db_session, uuid.UUID(str(raw))) if raw else None
    except ValueError:
        agent = None
    if agent is None:
        raise LoginRequired
    return agent


class LoginController(Controller):
    path = ""
    include_in_schema = False

    @get("/login", name="login")
    async def login_page(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        if request.session.get("agent_id"):
            return Redirect("/", status_code=303)
        return Template("login.html", context={"error": None, "email": ""})

    # Checking a password only reads; the login session is stored after the unit of work ends.
    @post("/login", status_code=200, opt={READS_ONLY: True})
    async def login(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        throttle: LoginThrottle = request.app.state.login_throttle
        email = data.email.strip().lower()[:320]
        key = (request.client.host if request.client else "?", email)
        if throttle.blocked(key):
            return Template(
                "login.html",
                context={
                    "error": "Too many failed attempts. Wait a few minutes, then try again.",
                    "email": email,
                },
                status_code=429,
            )
        agent = await authenticate(db_session, email, data.password[:1000])
        if agent is None:
            throttle.failed(key)
            return Template(
                "login.html",
                context={"error": "Wrong email or password.", "email": email},
                status_code=401,
            )
        throttle.succeeded(key)
        request.clear_session()
        request.set_session({"agent_id": str(agent.id), "tenant_id": str(agent.tenant_id)})
        return Redirect("/", status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
