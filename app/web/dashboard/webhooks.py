"""The webhooks page for admins: register endpoints (the secret shown once), see each one's
recent deliveries, send a test, redeliver, turn a disabled endpoint back on, remove one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, Parameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent
from app.domain.errors import DomainError
from app.domain.outbox.writer import nudge
from app.domain.tenants.models import Tenant
from app.domain.webhooks.service import EVENT_TYPES, MAX_DELIVERY_ID, WebhookService
from app.web.api.webhooks import provide_webhook_service
from app.web.dashboard.settings import provide_admin

PAGE = "/settings/webhooks"


@dataclass
class EndpointForm:
    url: str = ""
    description: str = ""
    # One ticked box arrives as a string, several as a list.
    events: list[str] | str = field(default_factory=list)

    def chosen_events(self) -> list[str]:
        return [self.events] if isinstance(self.events, str) else list(self.events)


class WebhookPages(Controller):
    path = PAGE
    include_in_schema = False
    dependencies = {
        "admin": Provide(provide_admin, sync_to_thread=False),
        "webhooks": Provide(provide_webhook_service, sync_to_thread=False),
    }

    async def _render(
        self,
        session: AsyncSession,
        admin: Agent,
        webhooks: WebhookService,
        *,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        endpoints = await webhooks.list(admin.tenant_id)
        context = {
            "agent": admin,
            "tenant": await session.get(Tenant, admin.tenant_id),
            "endpoints": endpoints,
            "deliveries": {e.id: await webhooks.recent_deliveries(admin.tenant_id, e.id) for e in endpoints},
            "event_types": EVENT_TYPES,
            "form": {},
            **extra,
        }
        return Template("webhooks.html", context=context, status_code=status_code)

    @get("/", name="webhooks")
    async def page(
        self,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        webhooks: NamedDependency[WebhookService],
        saved: str | None = None,
    ) -> Template:
        return await self._render(db_session, admin, webhooks, saved=saved)

    @post("/", status_code=200)
    async def register(
        self,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        webhooks: NamedDependency[WebhookService],
        data: Annotated[EndpointForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        events = data.chosen_events()
        try:
            made = await webhooks.register(admin.tenant_id, data.url, events, data.description)
        except DomainError as exc:  # the form again, as typed, with the reason
            return await self._render(
                db_session, admin, webhooks, status_code=exc.status_code, error=exc.message,
                form={"url": data.url, "description": data.description, "events": events},
            )  # fmt: skip
        return await self._render(
            db_session, admin, webhooks, new_secret=made.secret, new_id=made.endpoint.id
        )

    @post("/{endpoint_id:uuid}/test", status_code=303)
    async def send_test(
        self,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        webhooks: NamedDependency[WebhookService],
        endpoint_id: FromPath[uuid.UUID],
    ) -> Redirect:
        await webhooks.send_test(admin.tenant_id, endpoint_id)
        nudge(db_session)
        return Redirect(f"{PAGE}?saved=test", status_code=303)

    @post("/{endpoint_id:uuid}/enable", status_code=303)
    async def enable(
        self,
        admin: NamedDependency[Agent],
        webhooks: NamedDependency[WebhookService],
        endpoint_id: FromPath[uuid.UUID],
    ) -> Redirect:
        await webhooks.enable(admin.tenant_id, endpoint_id)
        return Redirect(f"{PAGE}?saved=enabled", status_code=303)

    @post("/{endpoint_id:uuid}/remove", status_code=303)
    async def remove(
        self,
        admin: NamedDependency[Agent],
        webhooks: NamedDependency[WebhookService],
        endpoint_id: FromPath[uuid.UUID],
    ) -> Redirect:
        await webhooks.remove(admin.tenant_id, endpoint_id)
        return Redirect(f"{PAGE}?saved=removed", status_code=303)

    @post("/deliveries/{delivery_id:int}/redeliver", status_code=303)
    async def redeliver(
        self,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        webhooks: NamedDependency[WebhookService],
        delivery_id: Annotated[int, Parameter(ge=1, le=MAX_DELIVERY_ID)],
    ) -> Redirect:
        await webhooks.redeliver(admin.tenant_id, delivery_id)
        nudge(db_session)
        return Redirect(f"{PAGE}?saved=redeliver", status_code=303)
