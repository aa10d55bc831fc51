"""Owners, the speed-to-lead timer, outcomes, the score history and the report on the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents import service as agents
from app.domain.clock import FrozenClock
from app.domain.leads.service import LeadService
from app.domain.scoring import RuleSet
from app.domain.tenants.models import Tenant
from app.domain.tenants.service import NewTenant, TenantService
from tests.conftest import make_tenant
from tests.dashboard.conftest import PASSWORD, csrf, log_in

QUALIFIED = {"phone": "+971501234567", "budget_max": 2_000_000, "location": "Dubai Marina"}  # 25 points


def card_of(html: str, lead_id: object) -> str:
    return html[html.index(f'id="lead-{lead_id}"') :].split("</article>")[0]


async def an_agent(session: AsyncSession, tenant: NewTenant, name: str = "mona"):
    agent = await agents.invite(
        session, tenant.tenant.id, email=f"{name}@{tenant.tenant.id.hex[:8]}.example.com", name=name.title(),
        role="agent", password=PASSWORD,
    )  # fmt: skip
    agent.must_change_password = False  # an agent who chose their own password already
    await session.commit()
    return agent


async def hot_lead(leads: LeadService, tenant: NewTenant, name: str = "Hot Hana"):
    lead_id = (await leads.create(tenant.tenant.id, {"name": name, **QUALIFIED})).lead.id
    for _ in range(3):
        await leads.record(tenant.tenant.id, lead_id, "qr_scan")  # 54: hot
    return lead_id


async def test_agent_claims_from_the_card_and_the_card_shows_the_owner(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    mona = await an_agent(session, tenant)
    leads = LeadService(session, clock)
    lead_id = await hot_lead(leads, tenant)
    await session.commit()
    await log_in(browser_client, mona.email)
    card = card_of((await browser_client.get("/")).text, lead_id)
    assert f'hx-post="/leads/{lead_id}/claim"' in card and "👤" not in card

    claimed = await browser_client.post(
        f"/leads/{lead_id}/claim", headers={"HX-Request": "true", "x-csrftoken": await csrf(browser_client)}
    )
    assert claimed.status_code == 200, claimed.text
    assert "👤 Mona" in claimed.text and "Claim</button>" not in claimed.text and "<html" not in claimed.text
    assert "👤 Mona" in card_of((await browser_client.get("/")).text, lead_id)
    mine = await browser_client.get("/cards?mine=true", headers={"HX-Request": "true"})
    assert str(lead_id) in mine.text


async def test_a_late_claim_on_the_lead_page_says_someone_was_first(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    mona, omar = await an_agent(session, tenant, "mona"), await an_agent(session, tenant, "omar")
    leads = LeadService(session, clock)
    lead_id = await hot_lead(leads, tenant)
    await leads.claim(tenant.tenant.id, lead_id, omar.id)
    await session.commit()
    await log_in(browser_client, mona.email)
    response = await browser_client.post(
        f"/leads/{lead_id}/claim", data={"_csrf_token": await csrf(browser_client)}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Someone else claimed it first." in response.text and "👤 Omar" in response.text
    assert "Reassign" not in response.text  # agents do not reassign
    mine = await browser_client.get("/cards?mine=true", headers={"HX-Request": "true"})
    assert str(lead_id) not in mine.text


async def test_admin_reassigns_on_the_lead_page_agents_may_not(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    mona = await an_agent(session, tenant)
    leads = LeadService(session, clock)
    lead_id = await hot_lead(leads, tenant)
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    page = (await browser_client.get(f"/leads/{lead_id}")).text
    assert "Reassign" in page and f'value="{mona.id}"' in page
    token = await csrf(browser_client)
    moved = await browser_client.post(
        f"/leads/{lead_id}/assign",
        data={"agent_id": str(mona.id), "_csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert "👤 Mona" in (await browser_client.get(f"/leads/{lead_id}")).text
    cleared = await browser_client.post(
        f"/leads/{lead_id}/assign", data={"agent_id": "", "_csrf_token": token}, follow_redirects=False
    )
    assert cleared.status_code == 303
    assert "Nobody owns this lead yet." in (await browser_client.get(f"/leads/{lead_id}")).text

    other = await make_tenant(session, clock, "Rival Realty")
    stranger = await an_agent(session, other, "stranger")
    refused = await browser_client.post(
        f"/leads/{lead_id}/assign", data={"agent_id": str(stranger.id), "_csrf_token": token}
    )
    assert refused.status_code == 422 and "No such agent in this agency." in refused.text

    await browser_client.post("/logout", data={"_csrf_token": token})
    await log_in(browser_client, mona.email)
    forbidden = await browser_client.post(
        f"/leads/{lead_id}/assign", data={"agent_id": str(mona.id), "_csrf_token": await csrf(browser_client)}
    )
    assert forbidden.status_code == 403


async def test_the_card_times_an_uncontacted_hot_lead_until_contact(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    leads = LeadService(session, clock)
    lead_id = await hot_lead(leads, tenant)
    await session.commit()
    clock.now += timedelta(minutes=12)
    await log_in(browser_client, tenant.admin.email)
    card = card_of((await browser_client.get("/")).text, lead_id)
    assert re.search(r'class="timer" data-elapsed="720"', card), card
    assert "12 min</span> uncontacted" in card
    await leads.update_profile(tenant.tenant.id, lead_id, {"status": "contacted"})
    await session.commit()
    assert 'class="timer"' not in card_of((await browser_client.get("/")).text, lead_id)
    page = (await browser_client.get(f"/leads/{lead_id}")).text
    assert "(after 12 min)" in page


async def test_outcome_with_a_reason_from_the_lead_page(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    leads = LeadService(session, clock)
    lead_id = await hot_lead(leads, tenant)
    await TenantService(session, clock).set_outcome_reasons(
        tenant.tenant.id, "Signed with us\nToo expensive\n"
    )
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    page = (await browser_client.get(f"/leads/{lead_id}")).text
    assert "<option>Signed with us</option>" in page and "Bought or rented with us" not in page

    bad = await browser_client.post(
        f"/leads/{lead_id}/outcome", data={"status": "won", "reason": "Magic", "_csrf_token": token}
    )
    assert bad.status_code == 422 and "one of this agency&#39;s reasons" in bad.text
    lost = await browser_client.post(
        f"/leads/{lead_id}/outcome",
        data={"status": "lost", "reason": "Too expensive", "note": "Wanted a sea view", "_csrf_token": token},
        follow_redirects=False,
    )
    assert lost.status_code == 303
    scored = await LeadService(session, clock).get(tenant.tenant.id, lead_id)
    assert (scored.lead.status.value, scored.lead.outcome_reason, scored.lead.outcome_note) == (
        "lost",
        "Too expensive",
        "Wanted a sea view",
    )


async def test_settings_edit_the_outcome_reasons(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    assert "Bought or rented with us" in (await browser_client.get("/settings")).text  # the default list
    saved = await browser_client.post(
        "/settings/outcome-reasons",
        data={"reasons": "Signed\n\n  Price \nSigned", "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    stored = await session.scalar(sa.select(Tenant.outcome_reasons).where(Tenant.id == tenant.tenant.id))
    assert stored == ["Signed", "Price"]
    empty = await browser_client.post(
        "/settings/outcome-reasons", data={"reasons": " \n", "_csrf_token": token}
    )
    assert empty.status_code == 422 and "Give at least one reason." in empty.text


async def test_breakdown_uses_the_rule_sets_own_maxima(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    rules = RuleSet(
        qr_scan_points=20, qr_scan_cap=60, catalog_view_cap=20, message_cap=10, voice_bonus=5, phone_points=20
    )
    await TenantService(session, clock).save_rules(tenant.tenant.id, rules.to_dict(), changed_by="test")
    leads = LeadService(session, clock)
    lead_id = (await leads.create(tenant.tenant.id, {"name": "Capped", "phone": "+971501234567"})).lead.id
    for _ in range(3):
        await leads.record(tenant.tenant.id, lead_id, "qr_scan")
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    page = (await browser_client.get(f"/leads/{lead_id}")).text
    assert "engagement 60/95" in page  # 3 x 20 of 60 + 20 + 10 + 5
    assert "qualification 20/50" in page  # phone 20 + budget 10 + 4 x 5
    assert "recency 20/20" in page
    assert "/40" not in page
    assert "qr scans 3 x 20 = 60 / 60" in page


async def test_score_history_chart_has_a_point_per_event_with_its_breakdown(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    leads = LeadService(session, clock)
    lead_id = (await leads.create(tenant.tenant.id, {"name": "Chart"})).lead.id
    clock.now += timedelta(minutes=5)
    await leads.record(tenant.tenant.id, lead_id, "qr_scan")
    clock.now += timedelta(minutes=5)
    await leads.update_profile(tenant.tenant.id, lead_id, {"phone": "+971501234567"})
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    page = (await browser_client.get(f"/leads/{lead_id}")).text
    svg = page[page.index('<svg class="chart"') : page.index("</svg>")]
    titles = re.findall(r"<title>(.*?)</title>", svg, re.S)
    assert len(titles) == 3
    assert "qr scan · 0 → 23 (cold)" in titles[1]
    assert "engagement 3/40 (qr scans 1 x 3 = 3 / 15)" in titles[1]
    assert "profile update: phone · 23 → 33 (warm)" in titles[2]


async def test_report_page_for_admins_only_with_table_chart_and_warning(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    """5 hot leads, none won; 5 warm leads, 2 won: hot converts worse than warm, which is said."""
    leads = LeadService(session, clock)
    t = tenant.tenant.id
    mona = await an_agent(session, tenant)
    for i in range(5):
        hot = await hot_lead(leads, tenant, f"Hot {i}")
        clock.now += timedelta(minutes=10)
        await leads.claim(t, hot, mona.id)
        await leads.update_profile(t, hot, {"status": "contacted"})  # 10 minutes after it turned hot
        warm = (
            await leads.create(t, {"name": f"Warm {i}", **QUALIFIED, "phone": f"+97150123400{i}"})
        ).lead.id
        await leads.update_profile(t, warm, {"status": "won" if i < 2 else "contacted"})
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    page = await browser_client.get("/reports?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200
    html = page.text
    rows = {
        m[0]: m[1:]
        for m in re.findall(
            r"b-(\w+)\">[^<]*</span></td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)%",
            html,
        )
    }
    assert rows["hot"] == ("5", "5", "0", "0", "0") and rows["warm"] == ("5", "5", "2", "0", "40")
    assert "Hot leads converted worse (0%) than warm leads (40%)" in html
    assert 'href="/settings#rules"' in html
    assert html.count('<rect class="bar') == 4 and "<title>warm: 2 won of 5 leads (40%)</title>" in html
    assert "Median time from a lead turning hot to its first contact: <strong>10 min</strong>" in html
    assert "<td>Mona</td><td>10 min</td><td>5</td>" in html

    await browser_client.post("/logout", data={"_csrf_token": await csrf(browser_client)})
    await log_in(browser_client, mona.email)
    assert (await browser_client.get("/reports")).status_code == 403
