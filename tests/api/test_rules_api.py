"""A tenant's scoring rules through the API: read, preview, replace (re-scores and audits)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.tenants.service import TenantService
from tests.api.conftest import Api, error_of
from tests.conftest import T0

DEFAULTS: dict[str, Any] = {
    "qr_scan_points": 3,
    "qr_scan_cap": 15,
    "catalog_view_points": 2,
    "catalog_view_cap": 10,
    "message_points": 1,
    "message_cap": 10,
    "voice_bonus": 5,
    "phone_points": 10,
    "budget_points": 10,
    "transaction_type_points": 5,
    "property_type_points": 5,
    "location_points": 5,
    "payment_method_points": 5,
    "recency_tiers": [
        {"max_age_seconds": 3600, "points": 20},
        {"max_age_seconds": 6 * 3600, "points": 15},
        {"max_age_seconds": 24 * 3600, "points": 10},
        {"max_age_seconds": 72 * 3600, "points": 5},
    ],
    "burning_threshold": 70,
    "hot_threshold": 50,
    "warm_threshold": 25,
}


async def seed(api: Api) -> dict[str, str]:
    talker = await api.create_lead(name="Talker")
    for _ in range(4):
        await api.event(talker["id"], "message")  # 4 + 20 = 24 cold
    qualified = await api.create_lead(name="Qualified", phone="+971501234567", budget_max=1)  # 20 cold
    scanner = await api.create_lead(name="Scanner", phone="+971501234568", budget_max=1, location="JVC")
    await api.event(scanner["id"], "qr_scan")  # 3 + 25 + 20 = 48 warm
    return {"talker": talker["id"], "qualified": qualified["id"], "scanner": scanner["id"]}


async def scores(api: Api) -> dict[str, tuple[int, str]]:
    return {
        lead["name"]: (lead["lead_score"], lead["temperature"]) for lead in (await api.get("/leads")).json()
    }


async def test_new_agency_has_the_default_rules(api: Api):
    response = await api.get("/scoring-rules")
    assert response.status_code == 200
    assert response.json() == DEFAULTS


async def test_saving_rules_rescores_every_lead_and_is_audited(api: Api, session: AsyncSession):
    await seed(api)
    assert await scores(api) == {"Talker": (24, "cold"), "Qualified": (20, "cold"), "Scanner": (48, "warm")}
    api.clock.now = T0 + timedelta(minutes=5)
    response = await api.put(
        "/scoring-rules", json={**DEFAULTS, "message_points": 5, "message_cap": 30, "hot_threshold": 40}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rules"] == {**DEFAULTS, "message_points": 5, "message_cap": 30, "hot_threshold": 40}
    assert body["leads_rescored"] == 2  # Talker's score and Scanner's temperature changed
    assert await scores(api) == {"Talker": (40, "hot"), "Qualified": (20, "cold"), "Scanner": (48, "hot")}
    assert (await api.get("/scoring-rules")).json() == body["rules"]

    # New events are scored with the new rules too.
    talker = next(x for x in (await api.get("/leads")).json() if x["name"] == "Talker")
    after = await api.event(talker["id"], "message")
    assert (after["lead_score"], after["temperature"]) == (45, "hot")
    messages = next(line for line in after["score_breakdown"]["rules"] if line["rule"] == "messages")
    assert messages["text"] == "messages 5 x 5 = 25 / 30"

    history = await TenantService(session).rule_history(api.tenant_id)
    await session.commit()
    assert len(history) == 1
    change = history[0]
    assert change.old_rules == DEFAULTS
    assert change.new_rules == body["rules"]
    assert change.changed_at == T0 + timedelta(minutes=5)
    assert "default" in change.changed_by  # the API token's name
    assert change.leads_rescored == 2


async def test_fields_left_out_take_the_defaults(api: Api):
    first = await api.put("/scoring-rules", json={"message_points": 2})
    assert first.json()["rules"] == {**DEFAULTS, "message_points": 2}
    second = await api.put("/scoring-rules", json={"voice_bonus": 0})
    assert second.json()["rules"] == {**DEFAULTS, "voice_bonus": 0}


async def test_custom_recency_tiers_and_thresholds_apply_to_live_scores(api: Api):
    lead = await api.create_lead(name="Tiers")
    await api.event(lead["id"], "message")
    rules = {
        **DEFAULTS,
        "recency_tiers": [{"max_age_seconds": 600, "points": 50}, {"max_age_seconds": 7200, "points": 30}],
        "burning_threshold": 51,
        "hot_threshold": 31,
        "warm_threshold": 1,
    }
    saved = await api.put("/scoring-rules", json=rules)
    assert saved.status_code == 200, saved.text
    got = await api.lead(lead["id"])
    assert (got["lead_score"], got["temperature"]) == (51, "burning")
    assert got["score_breakdown"]["next_boundary"] == "2026-03-02T10:10:00Z"
    assert got["score_breakdown"]["score_after_boundary"] == 31
    api.clock.now = T0 + timedelta(minutes=10)
    assert (await api.lead(lead["id"]))["temperature"] == "hot"
    api.clock.now = T0 + timedelta(hours=2)
    listed = (await api.get("/leads")).json()
    assert (listed[0]["lead_score"], listed[0]["temperature"]) == (1, "warm")


BAD_RULES: list[tuple[dict[str, Any], str]] = [
    ({"qr_scan_points": -1}, "qr_scan_points"),
    ({"message_cap": 1.5}, "message_cap"),
    ({"phone_points": True}, "phone_points"),
    ({"budget_points": None}, "budget_points"),
    ({"location_points": 10**9}, "location_points"),
    ({"warm_threshold": 50}, "warm_threshold"),  # not below hot (50)
    ({"hot_threshold": 70}, "hot_threshold"),  # not below burning (70)
    ({"burning_threshold": 101}, "burning_threshold"),
    ({"warm_threshold": -1}, "warm_threshold"),
    ({"recency_tiers": []}, "recency_tiers"),
    (
        {"recency_tiers": [{"max_age_seconds": 3600, "points": 20}, {"max_age_seconds": 3600, "points": 10}]},
        "recency_tiers[1].max_age_seconds",
    ),
    (
        {"recency_tiers": [{"max_age_seconds": 7200, "points": 20}, {"max_age_seconds": 3600, "points": 10}]},
        "recency_tiers[1].max_age_seconds",
    ),
    ({"recency_tiers": [{"max_age_seconds": 0, "points": 20}]}, "recency_tiers[0].max_age_seconds"),
    ({"recency_tiers": [{"max_age_seconds": 3600, "points": -5}]}, "recency_tiers[0].points"),
]


async def test_bad_rules_are_refused_naming_the_field_and_nothing_changes(api: Api, session: AsyncSession):
    await seed(api)
    before = await scores(api)
    for body, field in BAD_RULES:
        error_of(await api.put("/scoring-rules", json=body), 422, field)
        error_of(await api.post("/scoring-rules/preview", json=body), 422, field)
    body = error_of(await api.put("/scoring-rules", json={"qr_points": 3}), 422)
    assert "qr_points" in body["error"]
    assert (await api.get("/scoring-rules")).json() == DEFAULTS
    assert await scores(api) == before
    assert await TenantService(session).rule_history(api.tenant_id) == []
    await session.commit()


async def test_a_number_sent_as_text_is_refused(api: Api):
    response = await api.put("/scoring-rules", json={"voice_bonus": "7"})
    error_of(response, 422, "voice_bonus")


async def test_preview_counts_temperatures_and_saves_nothing(api: Api, session: AsyncSession):
    await seed(api)
    response = await api.post(
        "/scoring-rules/preview", json={**DEFAULTS, "warm_threshold": 20, "hot_threshold": 45}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "current": {"burning": 0, "hot": 0, "warm": 1, "cold": 2},
        "proposed": {"burning": 0, "hot": 1, "warm": 2, "cold": 0},
    }
    assert (await api.get("/scoring-rules")).json() == DEFAULTS
    assert await scores(api) == {"Talker": (24, "cold"), "Qualified": (20, "cold"), "Scanner": (48, "warm")}
    assert await TenantService(session).rule_history(api.tenant_id) == []
    await session.commit()


async def test_preview_uses_the_live_scores(api: Api):
    await seed(api)
    api.clock.now = T0 + timedelta(days=4)  # every recency point is gone
    response = await api.post("/scoring-rules/preview", json={"warm_threshold": 20})
    assert response.json() == {
        "current": {"burning": 0, "hot": 0, "warm": 1, "cold": 2},  # 4, 20, 28
        "proposed": {"burning": 0, "hot": 0, "warm": 2, "cold": 1},
    }
