"""Webhook endpoints: `/api/tenants/{tenant_id}/webhooks...` (register, list, remove, test,
deliveries, redeliver)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT
from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.outbox.writer import nudge
from app.domain.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.domain.webhooks.service import EVENT_TYPES, MAX_DELIVERY_ID, MAX_DESCRIPTION, WebhookService
from app.domain.webhooks.urls import MAX_URL
from app.web.api.auth import NEEDS_SCOPE, ApiCaller
from app.web.api.schemas import API_ERRORS

EventName = Annotated[str, Meta(max_length=40, description=", ".join(EVENT_TYPES))]


class WebhookIn(Struct, forbid_unknown_fields=True):
    url: Annotated[str, Meta(max_length=MAX_URL)]
    events: Annotated[list[EventName], Meta(min_length=1, max_length=len(EVENT_TYPES))]
    description: Annotated[str, Meta(max_length=MAX_DESCRIPTION)] = ""


class WebhookOut(Struct):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookOut:
        return cls(e.id, e.url, list(e.events), e.description, e.enabled, e.disabled_reason, e.created_at)


class RegisteredWebhookOut(WebhookOut):
    secret: str  # "whsec_...": shown only in this answer


class DeliveryOut(Struct):
    id: int
    message_id: str
    event_type: str
    lead_id: uuid.UUID | None
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryOut:
        return cls(
            d.id,
            d.message_id,
            d.event_type,
            d.lead_id,
            d.state,
            d.attempts,
            d.last_status,
            d.last_error,
            d.next_attempt_at if d.state == "pending" else None,
            d.delivered_at,
            d.created_at,
        )


def provide_webhook_service(request: Request, db_session: NamedDependency[AsyncSession]) -> WebhookService:
    state = request.app.state
    return WebhookService(
        db_session, state.secret_key, state.clock, allow_private=state.settings.webhook_allow_private
    )


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    opt = {NEEDS_SCOPE: "admin"}  # like the scoring rules: only admin tokens
    dependencies = {"webhooks": Provide(provide_webhook_service, sync_to_thread=False)}

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        responses=API_ERRORS,
        summary="Register an endpoint; the answer shows its signing secret once",
        description=(
            "Messages are signed as the Standard Webhooks specification says (`webhook-id`, "
            "`webhook-timestamp`, `webhook-signature`). Events: " + ", ".join(EVENT_TYPES) + "."
        ),
    )
    async def register(
        self,
        caller: NamedDependency[ApiCaller],
        webhooks: NamedDependency[WebhookService],
        data: JSONBody[WebhookIn],
    ) -> RegisteredWebhookOut:
        made = await webhooks.register(caller.tenant_id, data.url, data.events, data.description)
        out = WebhookOut.of(made.endpoint)
        return RegisteredWebhookOut(**{f: getattr(out, f) for f in out.__struct_fields__}, secret=made.secret)

    @get("/", responses=API_ERRORS, summary="The agency's webhook endpoints")
    async def list_endpoints(
        self, caller: NamedDependency[ApiCaller], webhooks: NamedDependency[WebhookService]
    ) -> list[WebhookOut]:
        return [WebhookOut.of(e) for e in await webhooks.list(caller.tenant_id)]

    @delete(
        "/{webhook_id:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        responses=API_ERRORS,
        summary="Remove an endpoint",
    )
    async def remove(
        self,
        caller: NamedDependency[ApiCaller],
        webhooks: NamedDependency[WebhookService],
        webhook_id: FromPath[uuid.UUID],
    ) -> None:
        await webhooks.remove(caller.tenant_id, webhook_id)

    @post(
        "/{webhook_id:uuid}/test",
        status_code=HTTP_202_ACCEPTED,
        responses=API_ERRORS,
        summary="Send a `ping` message to the endpoint",
    )
    async def send_test(
        self,
        caller: NamedDependency[ApiCaller],
        webhooks: NamedDependency[WebhookService],
        webhook_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> DeliveryOut:
        delivery = await webhooks.send_test(caller.tenant_id, webhook_id)
        nudge(db_session)
        return DeliveryOut.of(delivery)

    @post(
        "/{webhook_id:uuid}/enable",
        responses=API_ERRORS,
        summary="Turn a disabled endpoint back on",
        status_code=200,
    )
    async def enable(
        self,
        caller: NamedDependency[ApiCaller],
        webhooks: NamedDependency[WebhookService],
        webhook_id: FromPath[uuid.UUID],
    ) -> WebhookOut:
        return WebhookOut.of(await webhooks.enable(caller.tenant_id, webhook_id))

    @get("/{webhook_id:uuid}/deliveries", responses=API_ERRORS, summary="The endpoint's recent deliveries")
    async def deliveries(
        self,
        caller: NamedDependency[ApiCaller],
        webhooks: NamedDependency[WebhookService],
        webhook_id: FromPath[uuid.UUID],
    ) -> list[DeliveryOut]:
        return [DeliveryOut.of(d) for d in await webhooks.recent_deliveries(caller.tenant_id, webhook_id)]

    @post(
        "/deliveries/{delivery_id:int}/redeliver",
        status_code=HTTP_202_ACCEPTED,
        responses=API_ERRORS,
        summary="Send a delivery again (the same message id and body)",
    )
    async def redeliver(
        self,
        caller: NamedDependency[ApiCaller],
        webhooks: NamedDependency[WebhookService],
        delivery_id: Annotated[int, Parameter(ge=1, le=MAX_DELIVERY_ID)],
        db_session: NamedDependency[AsyncSession],
    ) -> DeliveryOut:
        delivery = await webhooks.redeliver(caller.tenant_id, delivery_id)
        nudge(db_session)
        return DeliveryOut.of(delivery)
