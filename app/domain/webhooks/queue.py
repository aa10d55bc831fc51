"""The webhook queue: outbox messages become one delivery per endpoint, and deliveries are
handed to the sender in order per endpoint and lead, retried with backoff, and given up.

Everything here runs inside the caller's unit of work; the HTTP requests happen outside any
transaction (`app.webhook_worker`), between `due()` and `record()`.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import Clock
from app.domain.leads.queries import LeadQueries, ScoredLead
from app.domain.outbox.models import OutboxMessage
from app.domain.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.domain.webhooks.service import event_body, message_id

# The first retries come quickly, then further apart; all within a day.
RETRY_AFTER = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
GIVE_UP_AFTER = timedelta(hours=24)
DISPATCH_BATCH = 500
# Per pass: at most this many (endpoint, lead) queues, each with at most PER_QUEUE deliveries.
SEND_QUEUES = 100
PER_QUEUE = 20

LeadView = Callable[[ScoredLead], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Due:
    """One delivery to attempt now."""

    id: int
    endpoint_id: uuid.UUID
    url: str
    secret_encrypted: str
    message_id: str
    body: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt went: an HTTP status, or an error before any answer."""

    delivery_id: int
    status: int | None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """After the n-th failed attempt: the schedule's n-th step, give or take 10 % (jitter, so
    many deliveries that failed together don't all come back at the same instant)."""
    step = RETRY_AFTER[min(attempts, len(RETRY_AFTER)) - 1]
    return step * (0.9 + 0.2 * (rng or random).random())


async def dispatch(session: AsyncSession, clock: Clock, lead_view: LeadView) -> int:
    """Turn the oldest outbox messages into deliveries (one per endpoint that wants the event),
    each with its body frozen, and delete the messages. Returns how many messages it took."""
    messages = list(
        (
            await session.scalars(
                sa.select(OutboxMessage).order_by(OutboxMessage.id).limit(DISPATCH_BATCH).with_for_update()
            )
        ).all()
    )
    if not messages:
        return 0
    tenants = {m.tenant_id for m in messages}
    endpoints: dict[uuid.UUID, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in await session.scalars(
        sa.select(WebhookEndpoint).where(WebhookEndpoint.tenant_id.in_(tenants), WebhookEndpoint.enabled)
    ):
        endpoints[endpoint.tenant_id].append(endpoint)
    views = await _lead_views(session, clock, messages, lead_view)
    now = clock()
    rows: list[dict[str, Any]] = []
    for m in messages:
        wanted = [e for e in endpoints[m.tenant_id] if m.topic in e.events]
        lead = views.get(m.lead_id) if m.lead_id else None
        if not wanted or (m.lead_id is not None and lead is None):  # nobody listens; lead erased
            continue
        message = message_id()
        body = event_body(m.topic, message, m.created_at.isoformat(), {**(lead or {}), "change": m.data})
        rows.extend(
            {
                "tenant_id": m.tenant_id,
                "endpoint_id": e.id,
                "message_id": message,
                "lead_id": m.lead_id,
                "event_type": m.topic,
                "body": body,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for e in wanted
        )
    if rows:
        await session.execute(sa.insert(WebhookDelivery), rows)
    await session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_([m.id for m in messages])))
    return len(messages)


async def _lead_views(
    session: AsyncSession, clock: Clock, messages: Sequence[OutboxMessage], lead_view: LeadView
) -> dict[uuid.UUID, dict[str, Any]]:
    per_tenant: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for m in messages:
        if m.lead_id is not None:
            per_tenant[m.tenant_id].add(m.lead_id)
    queries = LeadQueries(session, clock)
    views: dict[uuid.UUID, dict[str, Any]] = {}
    for tenant_id, lead_ids in per_tenant.items():
        for scored in await queries.many(tenant_id, sorted(lead_ids)):
            views[scored.lead.id] = lead_view(scored)
    return views


async def due(session: AsyncSession, now: datetime) -> list[list[Due]]:
    """What to send now, as queues: per endpoint and lead, its oldest pending deliveries in
    order, when the oldest is due. A queue is sent in order and stops at its first failure, so
    a lead's messages arrive in order (a failing one holds back the lead's later ones)."""
    heads = (
        sa.select(sa.func.min(WebhookDelivery.id).label("id"))
        .where(WebhookDelivery.state == "pending")
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.lead_id)
        .subquery()
    )
    due_heads = (
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.lead_id)
        .join(heads, heads.c.id == WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.next_attempt_at <= now, WebhookEndpoint.enabled)
        .order_by(WebhookDelivery.id)
        .limit(SEND_QUEUES)
    )
    wanted = {(row.endpoint_id, row.lead_id) for row in (await session.execute(due_heads)).all()}
    if not wanted:
        return []
    rows = await session.execute(
        sa.select(
            WebhookDelivery.id,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.lead_id,
            WebhookEndpoint.url,
            WebhookEndpoint.secret_encrypted,
            WebhookDelivery.message_id,
            WebhookDelivery.body,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.state == "pending",
            WebhookDelivery.endpoint_id.in_({endpoint for endpoint, _ in wanted}),
        )
        .order_by(WebhookDelivery.id)
        .limit(SEND_QUEUES * PER_QUEUE)
    )
    queues: dict[tuple[uuid.UUID, uuid.UUID | None], list[Due]] = defaultdict(list)
    for row in rows:
        key = (row.endpoint_id, row.lead_id)
        if key in wanted and len(queues[key]) < PER_QUEUE:
            queues[key].append(
                Due(row.id, row.endpoint_id, row.url, row.secret_encrypted, row.message_id, row.body)
            )
    return list(queues.values())


async def record(session: AsyncSession, now: datetime, attempts: Sequence[Attempt]) -> list[WebhookEndpoint]:
    """Write down how the attempts went; returns the endpoints this disabled (failing a day)."""
    if not attempts:
        return []
    deliveries = {
        d.id: d
        for d in await session.scalars(
            sa.select(WebhookDelivery).where(WebhookDelivery.id.in_([a.delivery_id for a in attempts]))
        )
    }
    endpoints = {
        e.id: e
        for e in await session.scalars(
            sa.select(WebhookEndpoint).where(
                WebhookEndpoint.id.in_({d.endpoint_id for d in deliveries.values()})
            )
        )
    }
    for attempt in attempts:
        delivery = deliveries.get(attempt.delivery_id)
        if delivery is None:  # its endpoint was removed meanwhile
            continue
        endpoint = endpoints[delivery.endpoint_id]
        delivery.attempts += 1
        delivery.last_status, delivery.last_error = attempt.status, attempt.error
        delivery.updated_at = now
        if attempt.succeeded:
            delivery.state, delivery.delivered_at = "delivered", now
            endpoint.failing_since = None
        else:
            endpoint.failing_since = endpoint.failing_since or now
            if now - delivery.created_at >= GIVE_UP_AFTER:
                delivery.state = "failed"
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    disabled = []
    for endpoint in endpoints.values():
        if endpoint.enabled and endpoint.failing_since and now - endpoint.failing_since >= GIVE_UP_AFTER:
            endpoint.enabled = False
            endpoint.disabled_reason = (
                f"Disabled on {now:%Y-%m-%d %H:%M} UTC: every delivery failed for 24 hours."
            )
            endpoint.updated_at = now
            disabled.append(endpoint)
    await session.flush()
    return disabled
