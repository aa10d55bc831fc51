"""Admins download the leads and erase a person from the dashboard; token scopes, last use and
the rate limit on the settings page."""

from __future__ import annotations

import csv
import io
import uuid

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents import service as agents
from app.domain.clock import FrozenClock
from app.domain.leads.models import Lead, LeadErasure
from app.domain.leads.service import LeadService
from app.domain.tenants.models import Tenant
from app.domain.tenants.service import NewTenant
from tests.conftest import make_tenant
from tests.dashboard.conftest import change_password, csrf, log_in


async def seed(
    session: AsyncSession, clock: FrozenClock, tenant_id: uuid.UUID, *names: str
) -> list[uuid.UUID]:
    leads = LeadService(session, clock)
    ids = [(await leads.create(tenant_id, {"name": name})).lead.id for name in names]
    await session.commit()
    return ids


async def test_admin_downloads_the_boards_leads_with_its_filters(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    await seed(session, clock, tenant.tenant.id, "Amira", "+Boris")
    other = await make_tenant(session, clock, "Other Realty")
    await seed(session, clock, other.tenant.id, "Not yours")
    await log_in(browser_client, tenant.admin.email)
    assert 'formaction="/leads/export"' in (await browser_client.get("/")).text

    response = await browser_client.get("/leads/export?format=csv&temperature=&status=&q=")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    names = sorted(row["name"] for row in csv.DictReader(io.StringIO(response.text)))
    assert names == ["'+Boris", "Amira"]
    only = await browser_client.get("/leads/export?format=ndjson&q=amira")
    assert [line for line in only.text.splitlines() if line] and "Boris" not in only.text


async def test_agents_cannot_download_or_erase(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    [lead_id] = await seed(session, clock, tenant.tenant.id, "Kept")
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
    assert 'formaction="/leads/export"' not in (await browser_client.get("/")).text
    assert "Erase lead" not in (await browser_client.get(f"/leads/{lead_id}")).text
    assert (await browser_client.get("/leads/export")).status_code == 403
    token = await csrf(browser_client)
    erase = await browser_client.post(
        f"/leads/{lead_id}/erase", data={"confirm": "yes", "_csrf_token": token}
    )
    assert erase.status_code == 403
    assert await session.get(Lead, lead_id) is not None


async def test_erasing_needs_the_confirmation_and_leaves_an_audit_line(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    gone, kept = await seed(session, clock, tenant.tenant.id, "Forget me", "Keep me")
    other = await make_tenant(session, clock, "Other Realty")
    [theirs] = await seed(session, clock, other.tenant.id, "Theirs")
    await log_in(browser_client, tenant.admin.email)
    assert "Erase lead" in (await browser_client.get(f"/leads/{gone}")).text
    token = await csrf(browser_client)

    unconfirmed = await browser_client.post(f"/leads/{gone}/erase", data={"_csrf_token": token})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.text
    assert (await browser_client.get(f"/leads/{gone}")).status_code == 200

    erased = await browser_client.post(
        f"/leads/{gone}/erase", data={"confirm": "yes", "_csrf_token": token}, follow_redirects=False
    )
    assert erased.status_code == 303
    assert (await browser_client.get(f"/leads/{gone}")).status_code == 404
    assert (await browser_client.get(f"/leads/{kept}")).status_code == 200
    [audit] = (await session.scalars(sa.select(LeadErasure))).all()
    assert audit.lead_id == gone and audit.erased_by == f"admin {tenant.admin.email}"

    another = await browser_client.post(
        f"/leads/{theirs}/erase", data={"confirm": "yes", "_csrf_token": token}
    )
    assert another.status_code == 404
    assert await session.get(Lead, theirs) is not None


async def test_tokens_get_a_scope_show_their_last_use_and_the_limit_is_set_here(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    created = await browser_client.post(
        "/settings/tokens", data={"name": "Reader", "scope": "read", "_csrf_token": token}
    )
    secret = created.text.split('<code id="new-token">')[1].split("</code>")[0]
    api = f"/api/tenants/{tenant.tenant.id}/leads"
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await browser_client.get(api, headers=headers)).status_code == 200
    assert (await browser_client.post(api, headers=headers, json={"name": "x"})).status_code == 403
    page = (await browser_client.get("/settings")).text
    reader_row = page.split("<td>Reader</td>")[1].split("</tr>")[0]
    assert "<td>read</td>" in reader_row and "never" not in reader_row
    assert "never" in page.split("<td>default</td>")[1].split("</tr>")[0]
    bad = await browser_client.post(
        "/settings/tokens", data={"name": "x", "scope": "root", "_csrf_token": token}
    )
    assert bad.status_code == 422

    saved = await browser_client.post(
        "/settings/rate-limit",
        data={"per_second": "5", "burst": "20", "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = await session.get(Tenant, tenant.tenant.id, populate_existing=True)
    assert (row.api_rate_per_second, row.api_burst) == (5, 20)
    refused = await browser_client.post(
        "/settings/rate-limit", data={"per_second": "0", "burst": "x", "_csrf_token": token}
    )
    assert refused.status_code == 422 and "per_second" in refused.text
