"""Who owns a lead: claims (the first wins, also when two come at once), admin assignment."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.domain.agents import service as agents
from app.domain.agents.models import Agent
from app.domain.clock import FrozenClock
from app.domain.errors import InvalidInput, NotFound
from app.domain.leads.changes import pending
from app.domain.leads.service import ClaimOutcome, LeadFilters, LeadService
from app.domain.tenants.service import NewTenant
from tests.conftest import make_tenant


async def agent_of(session: AsyncSession, tenant: NewTenant, name: str) -> Agent:
    agent = await agents.invite(
        session, tenant.tenant.id, email=f"{name}-{tenant.tenant.id.hex[:6]}@example.com", name=name.title(),
        role="agent", password="agent password",
    )  # fmt: skip
    await session.commit()
    return agent


async def test_first_claim_wins_then_others_hear_who_owns_it(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    mona, omar = await agent_of(session, tenant, "mona"), await agent_of(session, tenant, "omar")
    lead_id = (await leads.create(t, {"name": "Sought after"})).lead.id

    first = await leads.claim(t, lead_id, mona.id)
    assert first.claimed and first.outcome is ClaimOutcome.CLAIMED and first.owner.email == mona.email
    assert pending(session), "open dashboards hear of the new owner after the commit"
    second = await leads.claim(t, lead_id, omar.id)
    assert (second.outcome, second.owner.id, second.owner.display) == (ClaimOutcome.TAKEN, mona.id, "Mona")
    again = await leads.claim(t, lead_id, mona.id)
    assert again.outcome is ClaimOutcome.ALREADY_YOURS
    await session.commit()

    fresh = await leads.get(t, lead_id)
    assert fresh.lead.assigned_agent_id == mona.id and fresh.lead.assigned_agent.email == mona.email
    mine = await leads.list(t, LeadFilters(assigned_agent_id=mona.id))
    assert [s.lead.id for s in mine] == [lead_id]
    assert await leads.list(t, LeadFilters(assigned_agent_id=omar.id)) == []


async def test_admin_reassigns_and_unassigns(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    mona, omar = await agent_of(session, tenant, "mona"), await agent_of(session, tenant, "omar")
    lead_id = (await leads.create(t, {"name": "Moving"})).lead.id
    await leads.claim(t, lead_id, mona.id)
    owner = await leads.assign(t, lead_id, omar.id)
    assert owner is not None and owner.id == omar.id
    assert (await leads.get(t, lead_id)).lead.assigned_agent.email == omar.email
    assert await leads.assign(t, lead_id, None) is None
    assert (await leads.get(t, lead_id)).lead.assigned_agent is None
    # Unowned again: the next claim wins.
    assert (await leads.claim(t, lead_id, mona.id)).claimed


async def test_tenants_never_claim_or_assign_across(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    other = await make_tenant(session, clock, "Other Realty")
    theirs = await agent_of(session, other, "theirs")
    ours = await agent_of(session, tenant, "ours")
    leads = LeadService(session, clock)
    our_lead = (await leads.create(tenant.tenant.id, {"name": "Ours"})).lead.id
    with pytest.raises(InvalidInput):  # their agent is nobody in our agency
        await leads.claim(tenant.tenant.id, our_lead, theirs.id)
    with pytest.raises(InvalidInput):
        await leads.assign(tenant.tenant.id, our_lead, theirs.id)
    with pytest.raises(NotFound):  # our lead is nothing in theirs
        await leads.claim(other.tenant.id, our_lead, theirs.id)
    with pytest.raises(NotFound):
        await leads.assign(other.tenant.id, our_lead, None)
    assert (await leads.get(tenant.tenant.id, our_lead)).lead.assigned_agent_id is None
    assert (await leads.claim(tenant.tenant.id, our_lead, ours.id)).claimed


async def test_a_deactivated_agent_cannot_claim(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    gone = await agent_of(session, tenant, "gone")
    await agents.set_active(session, tenant.tenant.id, gone.id, False, by=tenant.admin.id)
    leads = LeadService(session, clock)
    lead_id = (await leads.create(tenant.tenant.id, {"name": "Waiting"})).lead.id
    with pytest.raises(InvalidInput, match="deactivated"):
        await leads.claim(tenant.tenant.id, lead_id, gone.id)


async def test_many_agents_claim_at_once_one_owner(
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FrozenClock,
    tenant: NewTenant,
):
    t = tenant.tenant.id
    crowd = [await agent_of(session, tenant, f"agent{i}") for i in range(8)]
    lead_id = (await LeadService(session, clock).create(t, {"name": "Burning Bilal"})).lead.id
    await session.commit()

    async def claim(agent: Agent) -> ClaimOutcome:
        async with unit_of_work(session_factory) as own:
            return (await LeadService(own, clock).claim(t, lead_id, agent.id)).outcome

    outcomes = await asyncio.gather(*(claim(a) for a in crowd))
    assert sorted(outcomes) == sorted([ClaimOutcome.CLAIMED] + [ClaimOutcome.TAKEN] * 7)
    winner = crowd[outcomes.index(ClaimOutcome.CLAIMED)]
    assert (await LeadService(session, clock).get(t, lead_id)).lead.assigned_agent_id == winner.id


@pytest.mark.postgres_only
async def test_second_claim_waits_for_the_first_and_loses(
    session_factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FrozenClock,
    tenant: NewTenant,
):
    """Two sessions: the second claim blocks on the first's row lock; after the first commits, the
    second's `WHERE assigned_agent_id IS NULL` no longer holds, and it reports the first owner."""
    t = tenant.tenant.id
    mona, omar = await agent_of(session, tenant, "mona"), await agent_of(session, tenant, "omar")
    lead_id = (await LeadService(session, clock).create(t, {"name": "Contested"})).lead.id
    await session.commit()

    first_session = session_factory()
    second_session = session_factory()
    try:
        first = await LeadService(first_session, clock).claim(t, lead_id, mona.id)
        assert first.claimed  # not committed yet: the row stays locked
        second = asyncio.create_task(LeadService(second_session, clock).claim(t, lead_id, omar.id))
        while not await _someone_waits_for_a_lock(session):
            assert not second.done(), "the second claim should wait for the first"
            await asyncio.sleep(0.01)
        await first_session.commit()
        result = await second
        await second_session.commit()
    finally:
        await first_session.close()
        await second_session.close()
    assert (result.outcome, result.owner.id) == (ClaimOutcome.TAKEN, mona.id)
    assert (await LeadService(session, clock).get(t, lead_id)).lead.assigned_agent_id == mona.id


async def _someone_waits_for_a_lock(session: AsyncSession) -> bool:
    waiting = await session.scalar(
        sa.text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    )
    await session.commit()
    return bool(waiting)
