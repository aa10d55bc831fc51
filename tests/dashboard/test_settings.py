"""Settings for admins: rules with preview, API tokens, agents, campaigns with QR codes."""

from __future__ import annotations

import asyncio
import io
import re
import uuid

import pytest
import zxingcpp
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents import service as agents
from app.domain.clock import FrozenClock
from app.domain.leads.service import LeadService
from app.domain.scoring import DEFAULT_RULES, MAX_RECENCY_TIERS
from app.domain.tenants.service import NewTenant, TenantService
from tests.conftest import make_tenant
from tests.dashboard.conftest import change_password, csrf, log_in


def rule_form(token: str, **changes: object) -> dict[str, str]:
    rules = DEFAULT_RULES.to_dict()
    form = {k: str(v) for k, v in rules.items() if k != "recency_tiers"}
    for i, tier in enumerate(rules["recency_tiers"]):
        form[f"tier_hours_{i}"] = str(tier["max_age_seconds"] / 3600)
        form[f"tier_points_{i}"] = str(tier["points"])
    form.update({k: str(v) for k, v in changes.items()})
    form["_csrf_token"] = token
    return form


async def test_agents_cannot_open_settings(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await agents.invite(
        session,
        tenant.tenant.id,
        email="agent@example.com",
        name="Ann",
        role="agent",
        password="agent-password",
    )
    await session.commit()
    await log_in(browser_client, "agent@example.com", "agent-password")
    await change_password(browser_client, "agent-password", "ann's own password")
    assert (await browser_client.get("/")).status_code == 200
    assert "Settings</a>" not in (await browser_client.get("/")).text
    assert (await browser_client.get("/settings")).status_code == 403
    token = await csrf(browser_client)
    assert (
        await browser_client.post("/settings/tokens", data={"name": "x", "_csrf_token": token})
    ).status_code == 403


async def test_rules_preview_then_save_rescores_and_audits(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    lead_id = (await leads.create(t, {"name": "Talker"})).lead.id
    await leads.record(t, lead_id, "message")  # 21 cold
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    preview = await browser_client.post(
        "/settings/rules/preview", data=rule_form(token, warm_threshold=20), headers={"HX-Request": "true"}
    )
    assert preview.status_code == 200 and "WARM <strong>1</strong>" in preview.text
    assert (await leads.get(t, lead_id)).lead.temperature.value == "cold"  # nothing saved

    bad = await browser_client.post("/settings/rules", data=rule_form(token, hot_threshold=90))
    assert bad.status_code == 422 and "hot_threshold" in bad.text

    saved = await browser_client.post(
        "/settings/rules", data=rule_form(token, message_points=4), follow_redirects=False
    )
    assert saved.status_code == 303
    assert (await leads.get(t, lead_id)).lead.lead_score == 24
    [change] = await TenantService(session).rule_history(t)
    assert change.changed_by == tenant.admin.email


async def test_api_tokens_are_shown_once_and_can_be_revoked(
    browser_client: AsyncTestClient, tenant: NewTenant
):
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    created = await browser_client.post("/settings/tokens", data={"name": "Website", "_csrf_token": token})
    secret = created.text.split('<code id="new-token">')[1].split("</code>")[0]
    api = f"/api/tenants/{tenant.tenant.id}/leads"
    assert (await browser_client.get(api, headers={"Authorization": f"Bearer {secret}"})).status_code == 200
    page = await browser_client.get("/settings")
    assert secret not in page.text and tenant.api_token not in page.text  # never shown again
    revoke_path = page.text.split('action="/settings/tokens/')[1].split('"')[0]
    # The newest token is listed first.
    await browser_client.post(f"/settings/tokens/{revoke_path}", data={"_csrf_token": token})
    assert (await browser_client.get(api, headers={"Authorization": f"Bearer {secret}"})).status_code == 401


async def test_invited_agent_logs_in_until_deactivated(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    bad = await browser_client.post(
        "/settings/agents", data={"email": "x", "password": "long-enough", "_csrf_token": token}
    )
    assert bad.status_code == 422 and "is not an email address" in bad.text
    await browser_client.post(
        "/settings/agents",
        data={
            "email": "Bea@Example.com",
            "name": "Bea",
            "role": "agent",
            "password": "bea-password",
            "_csrf_token": token,
        },
    )
    [bea] = [a for a in await agents.list_agents(session, tenant.tenant.id) if a.email == "bea@example.com"]
    await browser_client.post(f"/settings/agents/{bea.id}/active", data={"active": "0", "_csrf_token": token})
    await browser_client.post("/logout", data={"_csrf_token": token})
    await session.commit()
    assert (await log_in(browser_client, "bea@example.com", "bea-password")).status_code == 401


async def test_campaign_qr_codes_decode_to_the_deep_link(browser_client: AsyncTestClient, tenant: NewTenant):
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    bad = await browser_client.post(
        "/settings/campaigns", data={"name": "Expo", "slug": "Expo Hall!", "_csrf_token": token}
    )
    assert bad.status_code == 422
    await browser_client.post("/settings/bot", data={"bot_username": "@MarinaHomesBot", "_csrf_token": token})
    await browser_client.post(
        "/settings/campaigns", data={"name": "Cityscape, hall A", "slug": "expo-hall-a", "_csrf_token": token}
    )
    page = await browser_client.get("/settings")
    link = "https://t.me/MarinaHomesBot?start=qr_expo-hall-a"
    assert link in page.text
    png_path = page.text.split('href="/settings/campaigns/')[1].split('"')[0]
    png = await browser_client.get(f"/settings/campaigns/{png_path}")
    assert png.headers["content-type"] == "image/png"
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [link]
    svg = await browser_client.get(f"/settings/campaigns/{png_path.replace('qr/png', 'qr/svg')}")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    duplicate = await browser_client.post(
        "/settings/campaigns", data={"name": "Again", "slug": "expo-hall-a", "_csrf_token": token}
    )
    assert duplicate.status_code == 409 and "already exists" in duplicate.text


async def test_roles_change_but_never_your_own(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    ann = await agents.invite(
        session, tenant.tenant.id, email="ann@example.com", name="Ann", role="agent", password="ann-password"
    )
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    own = await browser_client.post(
        f"/settings/agents/{tenant.admin.id}/role", data={"role": "agent", "_csrf_token": token}
    )
    assert own.status_code == 422 and "your own admin role" in own.text
    await browser_client.post(f"/settings/agents/{ann.id}/role", data={"role": "admin", "_csrf_token": token})
    await browser_client.post("/logout", data={"_csrf_token": token})
    await session.commit()
    await log_in(browser_client, "ann@example.com", "ann-password")
    await change_password(browser_client, "ann-password", "ann's own password")
    assert (await browser_client.get("/settings")).status_code == 200


async def test_revoking_an_unknown_token_is_404_and_holds_no_write_lock(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    other = await make_tenant(session, clock, "Other Realty")
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    unknown = await browser_client.post(
        f"/settings/tokens/{uuid.uuid4()}/revoke", data={"_csrf_token": token}, follow_redirects=False
    )
    assert unknown.status_code == 404 and "No such live API token" in unknown.text
    # The failed revoke ended its transaction: another agency's write goes through at once
    # (on SQLite a transaction left open would hold the write lock for the busy timeout).
    write = browser_client.post(
        f"/api/tenants/{other.tenant.id}/leads",
        json={"name": "Right after"},
        headers={"Authorization": f"Bearer {other.api_token}"},
    )
    created = await asyncio.wait_for(write, timeout=5)
    assert created.status_code == 201, created.text


def form_inputs(page: str) -> dict[str, str]:
    """name -> value of the page's <input> fields."""
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))


@pytest.mark.parametrize("hours", ["inf", "-inf", "nan", "1e999", "1e308", "twelve"])
async def test_a_tier_of_no_finite_hours_is_422(
    browser_client: AsyncTestClient, tenant: NewTenant, hours: str
):
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    for path in ("/settings/rules", "/settings/rules/preview"):
        response = await browser_client.post(path, data=rule_form(token, tier_hours_1=hours))
        assert response.status_code == 422, (path, response.status_code)
        assert "Recency row 2: hours must be a number" in response.text


async def test_the_rules_form_keeps_every_tier_the_rules_allow(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    tiers = [{"max_age_seconds": (i + 1) * 3600, "points": 20 - i} for i in range(MAX_RECENCY_TIERS)]
    rules = {**DEFAULT_RULES.to_dict(), "recency_tiers": tiers}
    await TenantService(session, clock).save_rules(tenant.tenant.id, rules, changed_by="test")
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    inputs = form_inputs((await browser_client.get("/settings")).text)
    last = MAX_RECENCY_TIERS - 1
    assert inputs[f"tier_hours_{last}"] == str(MAX_RECENCY_TIERS)
    assert inputs[f"tier_points_{last}"] == str(20 - last)

    # Saving the form as shown (one point changed) keeps all the tiers.
    token = await csrf(browser_client)
    form = {name: value for name, value in inputs.items() if name in rule_form(token)}
    form |= {
        f"tier_{kind}_{i}": inputs[f"tier_{kind}_{i}"]
        for kind in ("hours", "points")
        for i in range(MAX_RECENCY_TIERS)
    }
    form |= {"message_points": "4", "_csrf_token": token}
    saved = await browser_client.post("/settings/rules", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert (await TenantService(session).rules(tenant.tenant.id)).to_dict()["recency_tiers"] == tiers
    await session.commit()
