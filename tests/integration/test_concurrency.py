"""Concurrent interactions on one lead, each in its own session: nothing is lost."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.domain.clock import FrozenClock
from app.domain.leads.models import LeadEvent
from app.domain.leads.service import LeadService
from app.domain.tenants.service import NewTenant

CONCURRENT_MESSAGES = 500


@pytest.mark.slow  # a load test: 500 interactions at once
async def test_500_concurrent_messages_all_count(
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FrozenClock,
    tenant: NewTenant,
):
    tenant_id = tenant.tenant.id
    lead_id = (await LeadService(session, clock).create(tenant_id, {"name": "Busy"})).lead.id
    await session.commit()

    async def one_message(i: int) -> int:
        async with unit_of_work(session_factory) as own:
            result = await LeadService(own, clock).record(
                tenant_id, lead_id, "message", payload={"text": f"message {i}"}
            )
            return result.score

    scores = await asyncio.gather(*(one_message(i) for i in range(CONCURRENT_MESSAGES)))
    assert max(scores) == 10 + 20  # messages cap + recency

    lead = (await LeadService(session, clock).get(tenant_id, lead_id)).lead
    assert lead.messages_count == CONCURRENT_MESSAGES
    events = await session.scalar(
        sa.select(sa.func.count())
        .select_from(LeadEvent)
        .where(LeadEvent.lead_id == lead_id, LeadEvent.type == "message")
    )
    assert events == CONCURRENT_MESSAGES
    # Each event saw the one before it: the scores before run 0, 21, 22, ... without repeats.
    befores = (
        await session.scalars(sa.select(LeadEvent.score_before).where(LeadEvent.type == "message"))
    ).all()
    assert sorted(befores)[:11] == [0, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]


async def test_same_idempotency_key_concurrently_counts_once(
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FrozenClock,
    tenant: NewTenant,
):
    tenant_id = tenant.tenant.id
    lead_id = (await LeadService(session, clock).create(tenant_id, {"name": "Retry"})).lead.id
    await session.commit()

    async def deliver() -> bool:
        async with unit_of_work(session_factory) as own:
            result = await LeadService(own, clock).record(
                tenant_id, lead_id, "qr_scan", idempotency_key="update-42"
            )
            return result.duplicate

    duplicates = await asyncio.gather(*(deliver() for _ in range(20)))
    assert sorted(duplicates) == [False] + [True] * 19
    lead = (await LeadService(session, clock).get(tenant_id, lead_id)).lead
    assert lead.qr_scan_count == 1
