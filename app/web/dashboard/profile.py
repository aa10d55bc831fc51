"""The logged-in agent's own profile: changing their password (first of all, when an admin chose it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents import service as agents
from app.domain.agents.models import Agent
from app.domain.agents.passwords import MAX_PASSWORD_LENGTH
from app.domain.errors import InvalidInput
from app.domain.tenants.models import Tenant


@dataclass
class PasswordForm:
    current_password: str = ""
    new_password: str = ""
    repeat_password: str = ""


class ProfilePages(Controller):
    path = "/profile"
    include_in_schema = False

    async def _render(
        self,
        db_session: AsyncSession,
        agent: Agent,
        *,
        error: InvalidInput | None = None,
        saved: bool = False,
    ) -> Template:
        tenant = await db_session.get(Tenant, agent.tenant_id)
        return Template(
            "profile.html",
            context={"agent": agent, "tenant": tenant, "error": error, "saved": saved},
            status_code=422 if error else 200,
        )

    @get("/", name="profile")
    async def profile(
        self,
        agent: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        saved: Annotated[bool, QueryParameter()] = False,
    ) -> Template:
        return await self._render(db_session, agent, saved=saved)

    @post("/password", status_code=303)
    async def change_password(
        self,
        agent: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[PasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        try:
            await agents.change_password(
                db_session,
                agent.id,
                current=data.current_password[:MAX_PASSWORD_LENGTH],
                new=data.new_password,
                repeat=data.repeat_password,
            )
        except InvalidInput as exc:
            return await self._render(db_session, agent, error=exc)
        return Redirect("/profile?saved=1", status_code=303)
