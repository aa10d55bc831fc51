"""An agency's webhook endpoints: register, list, remove, test, and look at their deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa
from advanced_alchemy.mixins.uuid import uuid7
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.bots.service import decrypt_token, encrypt_token
from app.domain.clock import Clock, system_clock
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.domain.webhooks.signing import new_secret
from app.domain.webhooks.urls import check_url

EVENT_TYPES = (
    "lead.created",
    "lead.score_changed",
    "lead.temperature_changed",
    "lead.assigned",
    "lead.status_changed",
)
PING = "ping"
MAX_ENDPOINTS = 10
MAX_DESCRIPTION = 500
RECENT_DELIVERIES = 20
# Delivery ids are 64-bit; a larger number in a URL names no delivery.
MAX_DELIVERY_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class RegisteredEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once, at registration


def message_id() -> str:
    """A Standard Webhooks message id: the same on every attempt, unique across messages."""
    return f"msg_{uuid7().hex}"


def event_body(kind: str, message: str, at_iso: str, data: dict) -> str:
    return msgspec.json.encode({"type": kind, "id": message, "timestamp": at_iso, "data": data}).decode()


class WebhookService:
    def __init__(
        self, session: AsyncSession, secret_key: str, clock: Clock = system_clock, *, allow_private: bool
    ) -> None:
        self.session = session
        self.secret_key = secret_key
        self.clock = clock
        self.allow_private = allow_private

    async def register(
        self, tenant_id: uuid.UUID, url: str, events: Sequence[str], description: str = ""
    ) -> RegisteredEndpoint:
        url = check_url(url, allow_private=self.allow_private)
        events = _check_events(events)
        if len(description) > MAX_DESCRIPTION:
            raise InvalidInput(f"The description is at most {MAX_DESCRIPTION} characters.", "description")
        if len(await self.list(tenant_id)) >= MAX_ENDPOINTS:
            raise Conflict(f"An agency has at most {MAX_ENDPOINTS} webhook endpoints; remove one first.")
        secret = new_secret()
        now = self.clock()
        endpoint = WebhookEndpoint(
            tenant_id=tenant_id,
            url=url,
            events=events,
            description=description.strip(),
            secret_encrypted=encrypt_token(secret, self.secret_key),
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        self.session.add(endpoint)
        await self.session.flush()
        return RegisteredEndpoint(endpoint, secret)

    async def list(self, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
        query = (
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.tenant_id == tenant_id)
            .order_by(WebhookEndpoint.created_at)
        )
        return list((await self.session.scalars(query)).all())

    async def get(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        endpoint = await self.session.scalar(
            sa.select(WebhookEndpoint).where(
                WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.id == endpoint_id
            )
        )
        if endpoint is None:
            raise NotFound("No such webhook endpoint.")
        return endpoint

    async def remove(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        endpoint = await self.get(tenant_id, endpoint_id)
        await self.session.delete(endpoint)
        await self.session.flush()

    async def enable(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        """Turn a disabled endpoint back on; its failed deliveries stay failed (redeliver them)."""
        endpoint = await self.get(tenant_id, endpoint_id)
        endpoint.enabled, endpoint.failing_since, endpoint.disabled_reason = True, None, None
        endpoint.updated_at = self.clock()
        await self.session.flush()
        return endpoint

    async def send_test(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookDelivery:
        """A `ping` message to this endpoint, sent by the worker like any other."""
        endpoint = await self.get(tenant_id, endpoint_id)
        now = self.clock()
        message = message_id()
        body = event_body(PING, message, now.isoformat(), {"endpoint_id": str(endpoint.id)})
        delivery = WebhookDelivery(
            tenant_id=tenant_id,
            endpoint_id=endpoint.id,
            message_id=message,
            lead_id=None,
            event_type=PING,
            body=body,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        self.session.add(delivery)
        await self.session.flush()
        return delivery

    async def recent_deliveries(
        self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, limit: int = RECENT_DELIVERIES
    ) -> list[WebhookDelivery]:
        await self.get(tenant_id, endpoint_id)
        query = (
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
        return list((await self.session.scalars(query)).all())

    async def redeliver(self, tenant_id: uuid.UUID, delivery_id: int) -> WebhookDelivery:
        """Send a delivery again (the same message: its id and body), soon."""
        delivery = await self.session.scalar(
            sa.select(WebhookDelivery).where(
                WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == delivery_id
            )
        )
        if delivery is None:
            raise NotFound("No such delivery.")
        delivery.state, delivery.next_attempt_at, delivery.updated_at = "pending", self.clock(), self.clock()
        await self.session.flush()
        return delivery

    def secret_of(self, endpoint: WebhookEndpoint) -> str | None:
        return decrypt_token(endpoint.secret_encrypted, self.secret_key)


def _check_events(events: Sequence[str]) -> list[str]:
    chosen = sorted({e.strip() for e in events if e.strip()})
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown or not chosen:
        raise InvalidInput(
            f"Choose events from: {', '.join(EVENT_TYPES)}."
            + (f" Unknown: {', '.join(unknown)}." if unknown else ""),
            "events",
        )
    return chosen
