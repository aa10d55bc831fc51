"""The webhooks page: admins register endpoints (secret shown once), see deliveries, test, remove."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents import service as agents
from app.domain.clock import FrozenClock
from app.domain.tenants.service import NewTenant
from tests.conftest import make_tenant
from tests.dashboard.conftest import change_password, csrf, log_in

PAGE = "/settings/webhooks"


async def test_an_admin_registers_an_endpoint_and_sees_its_deliveries(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    other_tenant = await make_tenant(session, clock, "Other Realty")
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    form = {
        "url": "https://crm.example.com/leadheat",
        "description": "Our CRM",
        "events": ["lead.score_changed", "lead.assigned"],
        "_csrf_token": token,
    }
    added = await browser_client.post(PAGE, data=form)
    assert added.status_code == 200, added.text
    secret = added.text.split('<code id="new-secret">')[1].split("</code>")[0]
    assert secret.startswith("whsec_")
    assert "lead.assigned, lead.score_changed" in added.text

    page = await browser_client.get(PAGE)
    assert secret not in page.text  # shown only once
    endpoint_id = page.text.split('id="endpoint-')[1].split('"')[0]
    tested = await browser_client.post(
        f"{PAGE}/{endpoint_id}/test", data={"_csrf_token": token}, follow_redirects=True
    )
    assert "A test message is on its way." in tested.text
    assert "<td>ping</td>" in tested.text

    # Another agency's admin sees none of it and cannot touch it.
    browser_client.cookies.clear()
    await log_in(browser_client, other_tenant.admin.email)
    assert endpoint_id not in (await browser_client.get(PAGE)).text
    other_token = await csrf(browser_client)
    refused = await browser_client.post(f"{PAGE}/{endpoint_id}/remove", data={"_csrf_token": other_token})
    assert refused.status_code == 404

    browser_client.cookies.clear()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    removed = await browser_client.post(
        f"{PAGE}/{endpoint_id}/remove", data={"_csrf_token": token}, follow_redirects=True
    )
    assert "No endpoints yet." in removed.text


async def test_a_private_address_is_refused_with_the_form_kept(
    browser_client: AsyncTestClient, tenant: NewTenant
):
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    form = {
        "url": "http://127.0.0.1:9/hook",
        "description": "mine",
        "events": ["lead.created"],
        "_csrf_token": token,
    }
    refused = await browser_client.post(PAGE, data=form)
    assert refused.status_code == 422
    assert "must start with https://" in refused.text
    assert 'value="http://127.0.0.1:9/hook"' in refused.text and 'value="mine"' in refused.text


async def test_agents_cannot_open_the_webhooks_page(
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
    assert (await browser_client.get(PAGE)).status_code == 403
