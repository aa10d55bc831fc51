"""Agencies, their API tokens and their scoring rules (saved, previewed, audited)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent
from app.domain.agents.passwords import verify_password
from app.domain.clock import FrozenClock
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.leads.service import LeadService
from app.domain.scoring import DEFAULT_RULES
from app.domain.tenants.service import NewTenant, TenantService
from app.domain.tokens.models import ApiToken
from app.domain.tokens.service import TokenService, digest
from tests.conftest import make_tenant


async def test_create_tenant_with_admin_and_token(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    admin = await session.scalar(sa.select(Agent).where(Agent.tenant_id == tenant.tenant.id))
    assert admin.role.value == "admin"
    assert admin.password_hash.startswith("$argon2id$")
    assert await verify_password(admin.password_hash, "correct horse battery")
    assert not await verify_password(admin.password_hash, "wrong password")
    stored = await session.scalar(sa.select(ApiToken).where(ApiToken.tenant_id == tenant.tenant.id))
    assert stored.token_hash == digest(tenant.api_token) != tenant.api_token
    assert await TokenService(session).tenant_of(tenant.api_token) == tenant.tenant.id
    assert await TokenService(session).tenant_of(tenant.api_token + "x") is None


async def test_revoked_token_stops_working(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    tokens = TokenService(session, clock)
    token_id = await session.scalar(sa.select(ApiToken.id).where(ApiToken.tenant_id == tenant.tenant.id))
    other = await make_tenant(session, clock, "Other")
    with pytest.raises(NotFound):
        await tokens.revoke(other.tenant.id, token_id)  # not theirs
    await tokens.revoke(tenant.tenant.id, token_id)
    assert await tokens.tenant_of(tenant.api_token) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"admin_email": "not-an-email"}, "admin_email"),
        ({"admin_password": "short"}, "password"),
        ({"currency": "DIRHAM"}, "currency"),
        ({"phone_region": "XX"}, "phone_region"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
async def test_create_tenant_refuses_bad_input(
    session: AsyncSession, clock: FrozenClock, changes: dict, field: str
):
    values = {
        "name": "Agency",
        "admin_email": "boss@example.com",
        "admin_password": "long enough pw",
        **changes,
    }
    with pytest.raises(InvalidInput) as err:
        await TenantService(session, clock).create(**values)
    assert err.value.field == field


async def test_admin_email_is_unique(session: AsyncSession, clock: FrozenClock):
    service = TenantService(session, clock)
    await service.create(name="A", admin_email="boss@example.com", admin_password="long enough pw")
    with pytest.raises(Conflict):
        await service.create(name="B", admin_email="Boss@Example.com", admin_password="long enough pw")


async def test_saving_rules_rescores_and_audits(session: AsyncSession, clock: FrozenClock, tenant: NewTenant):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    lead_id = (await leads.create(t, {"name": "Talker"})).lead.id
    await leads.record(t, lead_id, "message")  # 21, cold
    service = TenantService(session, clock)
    proposal = {**DEFAULT_RULES.to_dict(), "message_points": 5, "warm_threshold": 20}

    preview = await service.preview_rules(t, proposal)
    assert preview == {"burning": 0, "hot": 0, "warm": 1, "cold": 0}
    assert (await leads.get(t, lead_id)).lead.lead_score == 21  # a preview saves nothing

    rules, changed = await service.save_rules(t, proposal, changed_by="admin@example.com")
    assert (rules.message_points, changed) == (5, 1)
    scored = await leads.get(t, lead_id)
    assert (scored.lead.lead_score, scored.lead.temperature.value, scored.score.total) == (25, "warm", 25)
    assert (await service.rules(t)).message_points == 5
    [change] = await service.rule_history(t)
    assert change.changed_by == "admin@example.com"
    assert change.old_rules["message_points"] == 1 and change.new_rules["message_points"] == 5
    # The next interaction is scored under the new rules too.
    assert (await leads.record(t, lead_id, "message")).score == 10 + 20


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"qr_scan_points": -1}, "qr_scan_points"),
        ({"voice_bonus": 2.5}, "voice_bonus"),
        ({"hot_threshold": 80}, "hot_threshold"),
        ({"burning_threshold": 101}, "burning_threshold"),
        (
            {
                "recency_tiers": [
                    {"max_age_seconds": 3600, "points": 20},
                    {"max_age_seconds": 3600, "points": 5},
                ]
            },
            "recency_tiers[1].max_age_seconds",
        ),
        ({"recency_tiers": "soon"}, "recency_tiers"),
        ({"bonus_for_vip": 5}, "bonus_for_vip"),
    ],
)
async def test_bad_rules_are_refused_naming_the_field(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant, changes: dict, field: str
):
    service = TenantService(session, clock)
    with pytest.raises(InvalidInput) as err:
        await service.save_rules(tenant.tenant.id, {**DEFAULT_RULES.to_dict(), **changes}, changed_by="x")
    assert err.value.field == field
    assert field in err.value.message
    assert await service.rules(tenant.tenant.id) == DEFAULT_RULES
    assert await service.rule_history(tenant.tenant.id) == []


async def test_rules_of_one_tenant_do_not_touch_another(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    other = await make_tenant(session, clock, "Other")
    leads = LeadService(session, clock)
    theirs = (await leads.create(other.tenant.id, {"name": "Theirs"})).lead.id
    await leads.record(other.tenant.id, theirs, "message")
    await TenantService(session, clock).save_rules(
        tenant.tenant.id, {**DEFAULT_RULES.to_dict(), "message_points": 9}, changed_by="x"
    )
    assert (await leads.get(other.tenant.id, theirs)).lead.lead_score == 21
    assert (await leads.record(other.tenant.id, theirs, "message")).score == 22
