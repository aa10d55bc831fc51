"""The lead service on a real database (SQLite and PostgreSQL), with a held clock."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import FrozenClock
from app.domain.enums import EventType
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.leads.models import Lead, LeadEvent
from app.domain.leads.service import LeadService
from app.domain.tenants.service import NewTenant
from tests.conftest import TEST_SECRET_KEY, make_tenant


async def new_lead(service: LeadService, tenant: NewTenant, **profile: object) -> uuid.UUID:
    scored = await service.create(tenant.tenant.id, {"name": "Ahmad", **profile})
    return scored.lead.id


async def test_new_lead_says_hello_scores_21_cold(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    result = await service.record(tenant.tenant.id, lead_id, "message", payload={"text": "Hello"})
    assert (result.score, result.temperature) == (21, "cold")
    assert result.score_before == 0
    fresh = await service.get(tenant.tenant.id, lead_id)
    assert fresh.lead.messages_count == 1
    assert fresh.lead.lead_score == 21
    assert fresh.lead.last_interaction_at == clock.now


async def test_seed_troubleshooting_lead_scores_31_warm(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    """2 QR, 5 messages, phone and budget_max, no interaction time: 31 (warm)."""
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant, phone="+971501234567", budget_max=2_500_000)
    long_ago = clock.now - timedelta(days=30)
    for kind in ["qr_scan"] * 2 + ["message"] * 5:
        await service.record(tenant.tenant.id, lead_id, kind, occurred_at=long_ago)
    scored = await service.get(tenant.tenant.id, lead_id)
    assert (scored.score.total, scored.score.temperature.value) == (31, "warm")
    assert (scored.score.engagement, scored.score.qualification, scored.score.recency) == (11, 20, 0)


async def test_expo_timeline(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    """SCORING.md's expo timeline, step by step through the service, with the clock moved."""
    service = LeadService(session, clock)
    t = tenant.tenant.id
    lead_id = await new_lead(service, tenant)
    start = clock.now.replace(hour=10, minute=0)

    async def at(minute: int) -> None:
        clock.now = start + timedelta(minutes=minute)

    await at(0)
    assert (await service.record(t, lead_id, "qr_scan")).score == 23
    await at(5)
    assert (await service.record(t, lead_id, "catalog_view")).score == 25
    await at(10)
    # SCORING.md's 26, plus the apartment the message states ("2BR"): property type 5
    assert (
        await service.record(t, lead_id, "message", payload={"text": "I'm interested in 2BR"})
    ).score == 26 + 5
    await service.record(t, lead_id, "button", payload={"contact": "shared"})
    assert (await service.update_profile(t, lead_id, {"phone": "+971501234567"})).score.total == 36 + 5
    await at(15)
    assert (await service.update_profile(t, lead_id, {"budget_max": 2_500_000})).score.total == 46 + 5
    await at(20)
    scored = await service.update_profile(
        t, lead_id, {"property_type": "apartment", "location": "Dubai Marina", "transaction_type": "buy"}
    )
    assert (scored.score.total, scored.score.temperature.value) == (61, "hot")
    await at(25)
    result = await service.record(t, lead_id, "voice_message", payload={"file_id": "voice-1"})
    assert (result.score, result.temperature) == (67, "hot")
    assert result.breakdown["next_boundary"] == (start + timedelta(minutes=85)).isoformat()
    assert result.breakdown["score_after_boundary"] == 62

    await at(85)  # 11:25: a reader sees 62 at once; the stored score follows with the sweep
    scored = await service.get(t, lead_id)
    assert (scored.score.total, scored.lead.lead_score) == (62, 67)
    assert await service.sweep() == 1
    scored = await service.get(t, lead_id)
    assert (scored.score.total, scored.lead.lead_score, scored.lead.temperature.value) == (62, 62, "hot")
    clock.now = start + timedelta(days=13)
    listed = await service.list(t)
    assert [(x.lead.id, x.score.total, x.score.temperature.value) for x in listed] == [(lead_id, 47, "warm")]


async def test_everything_maxed_is_100_burning(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    service = LeadService(session, clock)
    lead_id = await new_lead(
        service,
        tenant,
        phone="050 123 4567",
        budget_min=1_000_000,
        transaction_type="buy",
        property_type="villa",
        location="Palm Jumeirah",
        payment_method="cash",
    )
    for kind in ["qr_scan"] * 6 + ["catalog_view"] * 6 + ["message"] * 12 + ["voice_message"]:
        result = await service.record(tenant.tenant.id, lead_id, kind)
    assert (result.score, result.temperature) == (100, "burning")


async def test_forty_messages_two_hours_ago(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    for _ in range(40):
        await service.record(tenant.tenant.id, lead_id, "message", occurred_at=clock.now - timedelta(hours=2))
    scored = await service.get(tenant.tenant.id, lead_id)
    assert (scored.score.total, scored.score.temperature.value) == (25, "warm")


async def test_idempotency_key_counts_once(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    first = await service.record(tenant.tenant.id, lead_id, "qr_scan", idempotency_key="scan-1")
    clock.now += timedelta(minutes=1)
    again = await service.record(tenant.tenant.id, lead_id, "qr_scan", idempotency_key="scan-1")
    assert again.duplicate and not first.duplicate
    assert (again.event_id, again.score) == (first.event_id, first.score)
    lead = (await service.get(tenant.tenant.id, lead_id)).lead
    assert lead.qr_scan_count == 1
    assert lead.last_interaction_at == clock.now - timedelta(minutes=1)
    events = await session.scalar(
        sa.select(sa.func.count()).select_from(LeadEvent).where(LeadEvent.type == "qr_scan")
    )
    assert events == 1


async def test_idempotency_key_of_another_lead_is_a_conflict(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    service = LeadService(session, clock)
    a, b = await new_lead(service, tenant), await new_lead(service, tenant)
    await service.record(tenant.tenant.id, a, "message", idempotency_key="k")
    with pytest.raises(Conflict):
        await service.record(tenant.tenant.id, b, "message", idempotency_key="k")
    assert (await service.get(tenant.tenant.id, b)).lead.messages_count == 0


async def test_late_event_counts_but_keeps_recency(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    await service.record(tenant.tenant.id, lead_id, "message")
    late = await service.record(
        tenant.tenant.id, lead_id, "catalog_view", occurred_at=clock.now - timedelta(days=3)
    )
    lead = (await service.get(tenant.tenant.id, lead_id)).lead
    assert lead.catalog_views == 1
    assert lead.last_interaction_at == clock.now
    assert late.score == 1 + 2 + 20


async def test_bad_interactions_are_refused_and_change_nothing(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    with pytest.raises(InvalidInput) as bad_type:
        await service.record(tenant.tenant.id, lead_id, "profile_update")
    assert bad_type.value.field == "type"
    with pytest.raises(InvalidInput) as future:
        await service.record(
            tenant.tenant.id, lead_id, "message", occurred_at=clock.now + timedelta(minutes=6)
        )
    assert future.value.field == "occurred_at"
    with pytest.raises(InvalidInput):
        await service.record(tenant.tenant.id, lead_id, "message", occurred_at=clock.now.replace(tzinfo=None))
    with pytest.raises(NotFound):
        await service.record(tenant.tenant.id, uuid.uuid4(), "message")
    lead = (await service.get(tenant.tenant.id, lead_id)).lead
    assert (lead.messages_count, lead.last_interaction_at) == (0, None)


async def test_button_refreshes_recency_without_counting(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    result = await service.record(tenant.tenant.id, lead_id, EventType.BUTTON)
    lead = (await service.get(tenant.tenant.id, lead_id)).lead
    assert lead.total_interactions == 0
    assert result.score == 20


async def test_profile_validation(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    service = LeadService(session, clock)
    scored = await service.create(tenant.tenant.id, {"name": "Sara", "phone": "050 123 4567"})
    assert scored.lead.phone == "+971501234567"
    for bad, field in [
        ({"phone": "12"}, "phone"),
        ({"property_type": "castle"}, "property_type"),
        ({"budget_max": -5}, "budget_max"),
        ({"budget_min": 10, "budget_max": 5}, "budget_min"),
        ({"favourite_colour": "red"}, "favourite_colour"),
        ({"status": "maybe"}, "status"),
    ]:
        with pytest.raises(InvalidInput) as err:
            await service.update_profile(tenant.tenant.id, scored.lead.id, bad)
        assert err.value.field == field
    with pytest.raises(InvalidInput):
        await service.create(tenant.tenant.id, {"name": "Bad", "phone": "not a phone"})
    count = await session.scalar(sa.select(sa.func.count()).select_from(Lead))
    assert count == 1  # nothing half-written


async def test_external_id_is_unique_per_tenant(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    service = LeadService(session, clock)
    await service.create(tenant.tenant.id, {"name": "A", "external_id": "crm-1"})
    with pytest.raises(Conflict) as err:
        await service.create(tenant.tenant.id, {"name": "B", "external_id": "crm-1"})
    assert err.value.field == "external_id"
    other = await make_tenant(session, clock, "Other Realty")
    await service.create(other.tenant.id, {"name": "C", "external_id": "crm-1"})


async def test_tenants_cannot_see_or_change_each_other(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    service = LeadService(session, clock)
    other = await make_tenant(session, clock, "Rival Realty")
    lead_id = await new_lead(service, tenant)
    b = other.tenant.id
    with pytest.raises(NotFound):
        await service.get(b, lead_id)
    with pytest.raises(NotFound):
        await service.record(b, lead_id, "message")
    with pytest.raises(NotFound):
        await service.update_profile(b, lead_id, {"name": "Stolen"})
    assert await service.list(b) == []
    assert await service.rescore_tenant(b) == 0
    lead = (await service.get(tenant.tenant.id, lead_id)).lead
    assert (lead.name, lead.messages_count) == ("Ahmad", 0)


async def test_list_orders_by_live_score_then_newest(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    service = LeadService(session, clock)
    t = tenant.tenant.id
    talker = await new_lead(service, tenant, name="Talker")
    await service.record(t, talker, "message")  # 21 now, 1 in three days
    clock.now += timedelta(seconds=1)
    qualified = await new_lead(service, tenant, name="Qualified", phone="+971501234567")  # 10, stays 10
    clock.now += timedelta(seconds=1)
    tie = await new_lead(service, tenant, name="Newer tie", budget_max=5)  # 10, newer
    assert [x.lead.id for x in await service.list(t)] == [talker, tie, qualified]
    clock.now += timedelta(days=3)
    # Each reader sees the live score at once; the order follows at the next sweep.
    assert [x.score.total for x in await service.list(t)] == [1, 10, 10]
    await service.sweep()
    assert [x.lead.id for x in await service.list(t)] == [tie, qualified, talker]
    assert [x.lead.id for x in await service.list(t, query="qualif")] == [qualified]
    assert [x.lead.id for x in await service.list(t, query="050 123 4567")] == [qualified]
    assert [x.lead.id for x in await service.list(t, temperatures=["cold"], limit=2)] == [tie, qualified]


async def test_sweep_refreshes_only_due_leads(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant, caplog: pytest.LogCaptureFixture
):
    service = LeadService(session, clock)
    t = tenant.tenant.id
    fresh = await new_lead(service, tenant, name="Fresh")
    stale = await new_lead(service, tenant, name="Stale")
    await service.record(t, stale, "message")
    clock.now += timedelta(minutes=59)
    await service.record(t, fresh, "message")
    clock.now += timedelta(minutes=1)  # stale is now exactly 1 h old: 21 -> 16
    await session.commit()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="leadheat.scoring"):
        assert await service.sweep() == 1
        assert "Updated lead score" not in caplog.text  # told only once committed
        await session.commit()
    assert "Updated lead score: 16 (cold)" in caplog.text
    assert f"lead={stale}" in caplog.text
    stored = {x.name: x.lead_score for x in (await session.scalars(sa.select(Lead))).all()}
    assert stored == {"Fresh": 21, "Stale": 16}
    assert await service.sweep() == 0


async def test_each_score_change_is_logged(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant, caplog: pytest.LogCaptureFixture
):
    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    await session.commit()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="leadheat.scoring"):
        await service.record(tenant.tenant.id, lead_id, "message")
        await session.commit()
    line = next(r.getMessage() for r in caplog.records if r.name == "leadheat.scoring")
    assert line.startswith("Updated lead score: 21 (cold)")
    assert f"tenant={tenant.tenant.id}" in line and f"lead={lead_id}" in line


async def test_running_app_sweeps_due_scores_in_the_background(
    database_url: str, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    import asyncio

    from litestar.testing import AsyncTestClient

    from app.config import Settings
    from app.main import create_app

    service = LeadService(session, clock)
    lead_id = await new_lead(service, tenant)
    await service.record(tenant.tenant.id, lead_id, "message")  # 21 until 1 h passes
    await session.commit()
    clock.now += timedelta(hours=6)  # 1 + 10 (24 h tier)
    app = create_app(
        Settings(database_url=database_url, sweep_interval_seconds=0.05, secret_key=TEST_SECRET_KEY),
        clock=clock,
    )
    async with AsyncTestClient(app):
        for _ in range(100):
            stored = await session.scalar(
                sa.select(Lead.lead_score).where(Lead.id == lead_id).execution_options(populate_existing=True)
            )
            await session.commit()
            if stored == 11:
                break
            await asyncio.sleep(0.05)
    assert stored == 11
