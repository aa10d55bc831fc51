"""Speed-to-lead milestones on every path that changes a temperature: `hot_at` is set once, when
a lead first turns hot or burning; `peak_temperature` only ever rises; the first contact keeps
the band the lead had then."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import FrozenClock
from app.domain.leads.bulk import BulkIntake
from app.domain.leads.service import LeadService
from app.domain.scoring import RuleSet, Temperature
from app.domain.tenants.service import NewTenant
from tests.conftest import T0

QUALIFIED = {"phone": "+971501234567", "budget_max": 2_000_000, "location": "Dubai Marina"}  # 25 points


async def lead_state(leads: LeadService, tenant: NewTenant, lead_id: uuid.UUID):
    return (await leads.get(tenant.tenant.id, lead_id)).lead


async def test_interactions_set_hot_at_once_and_peak_never_falls(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    lead_id = (await leads.create(t, {"name": "Rising", **QUALIFIED})).lead.id
    created = await lead_state(leads, tenant, lead_id)
    assert (created.hot_at, created.peak_temperature) == (None, Temperature.WARM)  # 25: warm

    for _ in range(3):
        await leads.record(t, lead_id, "qr_scan")  # 25 + 9 + 20 = 54: hot
    clock.now += timedelta(minutes=2)
    await leads.record(t, lead_id, "qr_scan")  # 57, still hot: hot_at does not move
    await session.commit()
    hot = await lead_state(leads, tenant, lead_id)
    assert hot.temperature is Temperature.HOT and hot.hot_at == T0 and hot.peak_temperature is Temperature.HOT

    clock.now += timedelta(minutes=1)
    for _ in range(5):
        await leads.record(t, lead_id, "catalog_view")  # 57 + 10 = 67... + messages below
    for _ in range(5):
        await leads.record(t, lead_id, "message")  # 72: burning
    await session.commit()
    burning = await lead_state(leads, tenant, lead_id)
    assert burning.temperature is Temperature.BURNING and burning.peak_temperature is Temperature.BURNING
    assert burning.hot_at == T0

    clock.now += timedelta(days=4)  # recency gone: 52 -> hot, then the sweep writes it
    await leads.sweep()
    await session.commit()
    cooled = await lead_state(leads, tenant, lead_id)
    assert cooled.temperature is Temperature.HOT
    assert (cooled.hot_at, cooled.peak_temperature) == (T0, Temperature.BURNING)


async def test_first_contact_keeps_the_band_of_that_moment(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    lead_id = (await leads.create(t, {"name": "Called", **QUALIFIED})).lead.id
    await leads.record(t, lead_id, "message")  # 46: warm
    clock.now += timedelta(minutes=5)
    await leads.update_profile(t, lead_id, {"status": "contacted"})
    contacted_at = clock.now
    clock.now += timedelta(minutes=5)
    for _ in range(4):
        await leads.record(t, lead_id, "qr_scan")  # hot now
    await leads.update_profile(t, lead_id, {"status": "viewing"})  # not a first contact any more
    await session.commit()
    lead = await lead_state(leads, tenant, lead_id)
    assert lead.first_contacted_at == contacted_at and lead.contacted_temperature is Temperature.WARM
    assert lead.peak_temperature is Temperature.HOT and lead.hot_at == clock.now


async def test_an_agent_reply_is_a_first_contact_only_once(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    lead_id = (await leads.create(t, {"name": "Answered"})).lead.id
    assert await leads.record_first_contact(t, lead_id) is True
    first = clock.now
    clock.now += timedelta(minutes=3)
    assert await leads.record_first_contact(t, lead_id) is False
    await session.commit()
    lead = await lead_state(leads, tenant, lead_id)
    assert lead.first_contacted_at == first and lead.contacted_temperature is Temperature.COLD


async def test_a_rule_change_that_makes_leads_hot_sets_hot_at(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    warm = (await leads.create(t, {"name": "Warm", **QUALIFIED})).lead.id  # 25
    cold = (await leads.create(t, {"name": "Cold"})).lead.id  # 0
    clock.now += timedelta(hours=1)
    changed = await leads.rescore_tenant(
        t, RuleSet(warm_threshold=10, hot_threshold=20, burning_threshold=90)
    )
    await session.commit()
    assert changed == 1
    now_hot = await lead_state(leads, tenant, warm)
    assert (now_hot.temperature, now_hot.hot_at, now_hot.peak_temperature) == (
        Temperature.HOT,
        clock.now,
        Temperature.HOT,
    )
    still_cold = await lead_state(leads, tenant, cold)
    assert (still_cold.hot_at, still_cold.peak_temperature) == (None, Temperature.COLD)


async def test_bulk_intake_sets_hot_at_and_peak(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    heating = (await leads.create(t, {"name": "Bulk hot", **QUALIFIED})).lead.id
    mild = (await leads.create(t, {"name": "Bulk mild"})).lead.id
    await session.commit()
    clock.now += timedelta(minutes=1)
    items = [{"lead_id": str(heating), "type": "qr_scan"} for _ in range(3)]
    items.append({"lead_id": str(mild), "type": "message"})  # 21: cold
    result = await BulkIntake(session, clock).record_many(t, items)
    await session.commit()
    assert result.accepted == 4
    hot = await lead_state(leads, tenant, heating)
    assert (hot.temperature, hot.hot_at, hot.peak_temperature) == (
        Temperature.HOT,
        clock.now,
        Temperature.HOT,
    )
    cold = await lead_state(leads, tenant, mild)
    assert (cold.hot_at, cold.peak_temperature) == (None, Temperature.COLD)
