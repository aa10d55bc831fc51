"""Owners, outcomes, the conversion report and score history through the JSON API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents import service as agents
from app.domain.agents.models import Agent
from tests.api.conftest import Api, error_of


async def new_agent(session: AsyncSession, api: Api, email: str, *, active: bool = True) -> Agent:
    agent = await agents.invite(
        session,
        api.tenant_id,
        email=email,
        name=email.split("@")[0].title(),
        role="agent",
        password="agent password",
    )
    if not active:
        agent.is_active = False
    await session.commit()
    return agent


async def test_every_lead_has_assigned_to_and_patch_sets_and_clears_it(api: Api, session: AsyncSession):
    await new_agent(session, api, "mona@example.com")
    lead = await api.create_lead(name="Owned Omar")
    assert lead["assigned_to"] is None

    response = await api.patch(f"/leads/{lead['id']}", json={"assigned_to": "Mona@Example.com"})
    assert response.status_code == 200, response.text
    assert response.json()["assigned_to"] == "mona@example.com"
    assert (await api.lead(lead["id"]))["assigned_to"] == "mona@example.com"
    listed = (await api.get("/leads")).json()
    assert [x["assigned_to"] for x in listed] == ["mona@example.com"]
    mine = (await api.get("/leads", params={"assigned_to": "mona@example.com"})).json()
    assert [x["id"] for x in mine] == [lead["id"]]

    cleared = await api.patch(f"/leads/{lead['id']}", json={"assigned_to": None, "name": "Omar"})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["assigned_to"] is None and cleared.json()["name"] == "Omar"
    assert (await api.get("/leads", params={"assigned_to": "mona@example.com"})).json() == []


async def test_assigned_to_unknown_foreign_or_deactivated_agent_is_422_and_changes_nothing(
    api: Api, other: Api, session: AsyncSession
):
    await new_agent(session, other, "foreign@example.com")
    await new_agent(session, api, "gone@example.com", active=False)
    lead = await api.create_lead(name="Nadia")
    for email, words in (
        ("nobody@example.com", "no agent of this agency"),
        ("foreign@example.com", "no agent of this agency"),
        ("gone@example.com", "deactivated"),
    ):
        response = await api.patch(f"/leads/{lead['id']}", json={"assigned_to": email, "name": "Changed"})
        body = error_of(response, 422, "assigned_to")
        assert words in body["error"]
    after = await api.lead(lead["id"])
    assert (after["assigned_to"], after["name"]) == (None, "Nadia")


async def test_another_agency_cannot_assign_or_read_history_of_a_lead(
    api: Api, other: Api, session: AsyncSession
):
    await new_agent(session, other, "theirs@example.com")
    lead = await api.create_lead(name="Private")
    error_of(await other.patch(f"/leads/{lead['id']}", json={"assigned_to": "theirs@example.com"}), 404)
    error_of(await other.get(f"/leads/{lead['id']}/history"), 404)
    assert (await api.lead(lead["id"]))["assigned_to"] is None


async def test_outcome_with_a_reason_of_the_agency_and_free_text(api: Api):
    lead = await api.create_lead(name="Winner")
    won = await api.patch(
        f"/leads/{lead['id']}",
        json={
            "status": "won",
            "outcome_reason": "Bought or rented with us",
            "outcome_note": "2BR in the Marina",
        },
    )
    assert won.status_code == 200, won.text
    body = won.json()
    assert (body["status"], body["outcome_reason"], body["outcome_note"]) == (
        "won",
        "Bought or rented with us",
        "2BR in the Marina",
    )
    # Moving to won is a first contact too (nobody recorded one before).
    assert body["first_contacted_at"] is not None
    bad = await api.patch(f"/leads/{lead['id']}", json={"status": "lost", "outcome_reason": "Aliens"})
    assert "one of this agency's reasons" in error_of(bad, 422, "outcome_reason")["error"]
    assert (await api.lead(lead["id"]))["status"] == "won"


async def test_hot_at_and_first_contact_through_the_api(api: Api):
    lead = await api.create_lead(
        name="Heating", phone="+971501234567", budget_max=2_000_000, location="Dubai Marina"
    )
    assert lead["hot_at"] is None
    for _ in range(3):
        await api.event(lead["id"], "qr_scan")
    api.clock.now += timedelta(minutes=1)
    for _ in range(4):
        await api.event(lead["id"], "catalog_view")
    hot = await api.lead(lead["id"])
    assert hot["temperature"] in ("hot", "burning") and hot["hot_at"] is not None
    first_hot = hot["hot_at"]
    api.clock.now += timedelta(minutes=7)
    contacted = await api.patch(f"/leads/{lead['id']}", json={"status": "contacted"})
    assert contacted.json()["first_contacted_at"] == api.clock.now.isoformat().replace("+00:00", "Z")
    api.clock.now += timedelta(minutes=1)
    await api.event(lead["id"], "message")
    again = await api.lead(lead["id"])
    assert again["hot_at"] == first_hot  # set once, never moved


async def test_history_has_a_point_per_event_with_what_changed_and_the_breakdown(api: Api):
    lead = await api.create_lead(name="Story")
    api.clock.now += timedelta(minutes=1)
    await api.event(lead["id"], "qr_scan")
    api.clock.now += timedelta(minutes=1)
    await api.patch(f"/leads/{lead['id']}", json={"phone": "+971501234567"})
    api.clock.now += timedelta(minutes=1)
    await api.patch(f"/leads/{lead['id']}", json={"status": "contacted"})
    response = await api.get(f"/leads/{lead['id']}/history")
    assert response.status_code == 200, response.text
    points = response.json()
    assert [p["change"] for p in points] == [
        "created",
        "qr scan",
        "profile update: phone",
        "status → contacted",
    ]
    assert [p["score"] for p in points] == [0, 23, 33, 33]
    assert points[1]["score_before"] == 0 and points[1]["temperature"] == "cold"
    qr = next(line for line in points[1]["breakdown"]["rules"] if line["rule"] == "qr_scans")
    assert qr["points"] == 3
    times = [p["time"] for p in points]
    assert times == sorted(times) and len(set(times)) == 4


async def test_conversion_report_from_known_outcomes(api: Api):
    """2 hot leads (1 won), 4 warm (2 won, 1 lost), 1 cold never touched: known rates."""
    made = 0

    async def lead_in(band: str, status: str | None) -> None:
        nonlocal made
        made += 1
        # 25 points: phone, budget, area (a phone of its own, or the upsert finds the last lead)
        profile = {"phone": f"+97150123450{made}", "budget_max": 2_000_000, "location": "Dubai Marina"}
        lead = await api.create_lead(name=f"{band} {status}", **(profile if band != "cold" else {}))
        scans = {"hot": 3, "warm": 0, "cold": 0}[band]
        for _ in range(scans):
            await api.event(lead["id"], "qr_scan")
        if band == "hot":
            for _ in range(4):
                await api.event(lead["id"], "catalog_view")
        if band == "warm":
            await api.event(lead["id"], "message")
        got = (await api.lead(lead["id"]))["temperature"]
        assert got == band, (band, got)
        if status:
            await api.patch(f"/leads/{lead['id']}", json={"status": "contacted"})
            if status != "contacted":
                await api.patch(f"/leads/{lead['id']}", json={"status": status})

    for band, status in [
        ("hot", "won"),
        ("hot", "contacted"),
        ("warm", "won"),
        ("warm", "won"),
        ("warm", "lost"),
        ("warm", None),
        ("cold", None),
    ]:
        await lead_in(band, status)
    response = await api.get("/reports/conversion", params={"from": "2026-03-01", "to": "2026-03-02"})
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"temperature": "burning", "leads": 0, "contacted": 0, "won": 0, "lost": 0, "conversion_rate": 0.0},
        {"temperature": "hot", "leads": 2, "contacted": 2, "won": 1, "lost": 0, "conversion_rate": 0.5},
        {"temperature": "warm", "leads": 4, "contacted": 3, "won": 2, "lost": 1, "conversion_rate": 0.5},
        {"temperature": "cold", "leads": 1, "contacted": 0, "won": 0, "lost": 0, "conversion_rate": 0.0},
    ]
    # Created before the period: counted nowhere.
    earlier = await api.get("/reports/conversion", params={"from": "2026-02-01", "to": "2026-02-28"})
    assert sum(item["leads"] for item in earlier.json()) == 0
    error_of(
        await api.get("/reports/conversion", params={"from": "2026-03-05", "to": "2026-03-01"}), 422, "from"
    )
    error_of(await api.get("/reports/conversion", params={"from": "March"}), 422, "from")


async def test_a_contacted_lead_stays_in_the_band_it_had_when_contacted(api: Api):
    lead = await api.create_lead(
        name="Cooling", phone="+971501234567", budget_max=2_000_000, location="Marina"
    )
    await api.event(lead["id"], "message")  # 25 + 1 + recency 20 = 46: warm
    await api.patch(f"/leads/{lead['id']}", json={"status": "contacted"})
    for _ in range(3):
        await api.event(lead["id"], "qr_scan")
    for _ in range(4):
        await api.event(lead["id"], "catalog_view")
    assert (await api.lead(lead["id"]))["temperature"] in ("hot", "burning")
    report = {i["temperature"]: i for i in (await api.get("/reports/conversion")).json()}
    assert report["warm"]["leads"] == 1 and report["hot"]["leads"] == report["burning"]["leads"] == 0
