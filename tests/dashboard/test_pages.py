"""The dashboard through HTTP as a browser sends it: login, cards, fragments, the lead page."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import FrozenClock
from app.domain.enums import EventType
from app.domain.leads.models import LeadEvent
from app.domain.leads.service import LeadService
from app.domain.scoring import Temperature
from app.domain.tenants.service import NewTenant
from tests.conftest import make_tenant
from tests.dashboard.conftest import csrf, log_in


async def test_pages_need_a_login(browser_client: AsyncTestClient):
    response = await browser_client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].endswith("/login")
    fragment = await browser_client.get("/cards", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/login"


async def test_wrong_password_says_so_and_attempts_are_limited(
    browser_client: AsyncTestClient, tenant: NewTenant
):
    email = tenant.admin.email
    wrong = await log_in(browser_client, email, "not the password")
    assert wrong.status_code == 401 and "Wrong email or password." in wrong.text
    for _ in range(4):
        await log_in(browser_client, email, "still wrong")
    blocked = await log_in(browser_client, email)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text


async def test_login_without_csrf_token_is_refused(browser_client: AsyncTestClient, tenant: NewTenant):
    response = await browser_client.post(
        "/login", data={"email": tenant.admin.email, "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert "leadheat_session" not in response.headers.get("set-cookie", "")


async def test_cards_in_live_order_with_badges_and_the_card_fields(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    leads = LeadService(session, clock)
    t = tenant.tenant.id
    cold = (await leads.create(t, {"name": "Cold Carl"})).lead.id
    hot = (
        await leads.create(
            t,
            {
                "name": "Hot Hana",
                "phone": "+971501234567",
                "budget_max": 2_500_000,
                "purpose": "investment",
                "property_type": "apartment",
                "location": "Dubai Marina",
                "transaction_type": "buy",
            },
        )
    ).lead.id
    for kind in ["qr_scan", "qr_scan", "qr_scan", "catalog_view", "catalog_view", "message", "voice_message"]:
        await leads.record(t, hot, kind)
    await leads.record(t, cold, "message")

    await session.commit()
    assert (await log_in(browser_client, tenant.admin.email)).status_code in (302, 303)
    page = await browser_client.get("/")
    assert page.status_code == 200
    html = page.text
    assert html.index("Hot Hana") < html.index("Cold Carl")
    card = html[html.index(f'id="lead-{hot}"') :].split("</article>")[0]
    for expected in [
        "[75]",
        "BURNING",
        "+971501234567",
        "Up to AED 2.5M",
        "Investment",
        "Apartment",
        "Dubai Marina",
        "📱 3 scans 📄 2 views 💬 2 msgs",
        "🎤 voice message",
        "just now",
    ]:
        assert expected in card, expected
    assert "❄️ COLD" in html
    assert re.search(r"BURNING <strong>1</strong>", html)


async def test_fragments_filter_and_search(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    leads = LeadService(session, clock)
    t = tenant.tenant.id
    await leads.create(t, {"name": "Sara", "phone": "050 123 4567"})
    await leads.create(t, {"name": "Omar", "status": "won"})
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    by_phone = await browser_client.get("/cards?q=050 123", headers={"HX-Request": "true"})
    assert "Sara" in by_phone.text and "Omar" not in by_phone.text
    won = await browser_client.get("/cards?status=won", headers={"HX-Request": "true"})
    assert "Omar" in won.text and "Sara" not in won.text
    assert "<html" not in won.text  # a fragment, not a page


async def test_another_tenants_lead_is_not_found(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    other = await make_tenant(session, clock, "Rival Realty")
    theirs = (await LeadService(session, clock).create(other.tenant.id, {"name": "Their Lead"})).lead.id
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    response = await browser_client.get(f"/leads/{theirs}")
    assert response.status_code == 404 and "Their Lead" not in response.text
    assert "Their Lead" not in (await browser_client.get("/")).text
    token = await csrf(browser_client)
    edit = await browser_client.post(f"/leads/{theirs}", data={"name": "Stolen", "_csrf_token": token})
    assert edit.status_code == 404
    assert (await LeadService(session, clock).get(other.tenant.id, theirs)).lead.name == "Their Lead"


async def test_lead_page_shows_the_breakdown_and_edits_are_validated(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    leads = LeadService(session, clock)
    t = tenant.tenant.id
    lead_id = (await leads.create(t, {"name": "Ahmad"})).lead.id
    await leads.record(t, lead_id, "message", payload={"text": "I'm interested in 2BR"})
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    page = await browser_client.get(f"/leads/{lead_id}")
    # The message counts (engagement) and states a 2-bedroom apartment (property type 5)
    assert "engagement 1/40" in page.text and "recency 20/20" in page.text and "drops to 21" in page.text
    assert "I&#39;m interested in 2BR" in page.text or "I'm interested in 2BR" in page.text
    assert "read from the message: 2-bedroom apartment" in page.text
    assert "Bedrooms: 2" in page.text

    token = await csrf(browser_client)
    bad = await browser_client.post(
        f"/leads/{lead_id}", data={"name": "Ahmad", "phone": "12", "status": "new", "_csrf_token": token}
    )
    assert bad.status_code == 422 and "is not a valid phone number" in bad.text
    assert (await leads.get(t, lead_id)).lead.phone is None

    good = await browser_client.post(
        f"/leads/{lead_id}",
        data={
            "name": "Ahmad K",
            "phone": "050 123 4567",
            "budget_max": "2500000",
            "status": "contacted",
            "notes": "Call after 6",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    scored = await leads.get(t, lead_id)
    assert (scored.lead.name, scored.lead.phone, scored.lead.status.value) == (
        "Ahmad K",
        "+971501234567",
        "contacted",
    )
    assert scored.score.total == 1 + 5 + 20 + 20  # the apartment read from the message stays


async def test_logout_ends_the_session(browser_client: AsyncTestClient, tenant: NewTenant):
    await log_in(browser_client, tenant.admin.email)
    assert (await browser_client.get("/")).status_code == 200
    token = await csrf(browser_client)
    await browser_client.post("/logout", data={"_csrf_token": token})
    assert (await browser_client.get("/", follow_redirects=False)).status_code in (302, 303)


async def test_the_lead_page_shows_payloads_stored_before_they_were_checked(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    leads = LeadService(session, clock)
    t = tenant.tenant.id
    lead_id = (await leads.create(t, {"name": "Legacy"})).lead.id
    # Rows an older version let in (no shape check then), written as it wrote them.
    odd_payloads = [
        {"fields": "x"},
        {"text": 12345},
        {"text": "<script>alert(1)</script>"},
        {"file_id": {"nested": True}, "duration": {"a": 1}},
        {"fields": ["a", "b"]},
        ["not", "an", "object"],
        "just text",
    ]
    for i, payload in enumerate(odd_payloads):
        kind = EventType.VOICE_MESSAGE if i == 3 else EventType.MESSAGE
        session.add(
            LeadEvent(
                tenant_id=t,
                lead_id=lead_id,
                type=kind,
                occurred_at=clock(),
                received_at=clock(),
                payload=payload,
                score_before=0,
                score_after=0,
                temperature_after=Temperature.COLD,
            )
        )
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    page = await browser_client.get(f"/leads/{lead_id}")
    assert page.status_code == 200, page.text[:500]
    assert "12345" in page.text
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
