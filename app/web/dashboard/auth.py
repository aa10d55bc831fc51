"""Dashboard login: email and password, a server-side session, throttled attempts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent
from app.domain.agents.passwords import MAX_PASSWORD_LENGTH
from app.domain.agents.service import active_agent, authenticate
from app.domain.agents.throttle import AttemptKeys, LoginThrottle
from app.web.client_address import client_address
from app.web.known_devices import known_device, remember_device
from app.web.login_sessions import begin_login
from app.web.unit_of_work import READS_ONLY

MAX_EMAIL_LENGTH = 320
PROFILE_PATH = "/profile"


class LoginRequired(Exception):
    """Raised for a dashboard request without a live session; answered with a redirect."""


class PasswordChangeRequired(Exception):
    """The agent still has the password an admin chose: only the profile page opens."""


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""


async def provide_logged_in_agent(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Agent:
    """The logged-in agent; every dashboard page and fragment is scoped to their tenant."""
    raw = request.session.get("agent_id") if request.scope.get("session") is not None else None
    try:
        agent = await active_agent(db_session, uuid.UUID(str(raw))) if raw else None
    except ValueError:
        agent = None
    if agent is None:
        raise LoginRequired
    return agent


async def provide_agent(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Agent:
    """The logged-in agent, once they have chosen their own password."""
    agent = await provide_logged_in_agent(request, db_session)
    if agent.must_change_password:
        raise PasswordChangeRequired
    return agent


class LoginController(Controller):
    path = ""
    include_in_schema = False

    @get("/login", name="login")
    async def login_page(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        if request.session.get("agent_id"):
            return Redirect("/", status_code=303)
        return Template("login.html", context={"error": None, "email": ""})

    # Checking a password only reads; the attempt counters and the login session are written
    # in their own units of work (a refused login is rolled back but must still count).
    @post("/login", status_code=200, opt={READS_ONLY: True})
    async def login(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        throttle: LoginThrottle = request.app.state.login_throttle
        email = data.email.strip().lower()[:MAX_EMAIL_LENGTH]
        secret = request.app.state.secret_key
        device = known_device(request, email, secret)
        keys = AttemptKeys.of(email, client_address(request, request.app.state.trusted_proxies), device)
        if await throttle.claim(keys) is not None:
            return Template(
                "login.html",
                context={
                    "error": "Too many failed attempts. Wait a few minutes, then try again.",
                    "email": email,
                },
                status_code=429,
            )
        agent = await authenticate(db_session, email, data.password[:MAX_PASSWORD_LENGTH])
        if agent is None:
            return Template(
                "login.html",
                context={"error": "Wrong email or password.", "email": email},
                status_code=401,
            )
        await throttle.succeeded(keys)
        begin_login(request, {"agent_id": str(agent.id), "tenant_id": str(agent.tenant_id)})
        return Redirect(
            PROFILE_PATH if agent.must_change_password else "/",
            status_code=303,
            cookies=[remember_device(email, secret, request.app.state.settings.cookies_secure, device)],
        )

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
