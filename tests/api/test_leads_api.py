"""Leads through the JSON API: create / update / read / list, as an integrator sees them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import Api, error_of, iso
from tests.conftest import T0

FULL_PROFILE: dict[str, Any] = {
    "name": "Sara Ahmadi",
    "email": "sara@example.com",
    "phone": "050 123 4567",
    "language": "fa",
    "telegram_username": "sara_a",
    "external_id": "crm-1",
    "campaign": "expo-2026",
    "budget_min": 1_000_000,
    "budget_max": 2_500_000,
    "transaction_type": "buy",
    "property_type": "villa",
    "location": "Dubai Marina",
    "payment_method": "mortgage",
    "purpose": "living",
    "notes": "Met at the booth",
}

LEAD_FIELDS = {
    "id",
    "tenant_id",
    "name",
    "email",
    "phone",
    "language",
    "telegram_user_id",
    "telegram_username",
    "external_id",
    "source",
    "campaign",
    "budget_min",
    "budget_max",
    "transaction_type",
    "property_type",
    "location",
    "payment_method",
    "purpose",
    "status",
    "notes",
    "lead_score",
    "temperature",
    "qr_scan_count",
    "catalog_views",
    "messages_count",
    "voice_messages_count",
    "total_interactions",
    "last_interaction_at",
    "score_valid_until",
    "created_at",
    "updated_at",
}


def rule(breakdown: dict[str, Any], name: str) -> dict[str, Any]:
    return next(line for line in breakdown["rules"] if line["rule"] == name)


async def test_create_scores_the_profile_and_returns_every_field(api: Api):
    response = await api.post("/leads", json=FULL_PROFILE)
    assert response.status_code == 201, response.text
    lead = response.json()
    assert LEAD_FIELDS <= set(lead)
    assert lead["tenant_id"] == str(api.tenant_id)
    assert lead["phone"] == "+971501234567"  # normalised to E.164 in the tenant's region
    assert lead["status"] == "new"
    # Creating is not an interaction: full qualification, no engagement, no recency.
    assert (lead["lead_score"], lead["temperature"]) == (40, "warm")
    assert lead["last_interaction_at"] is None and lead["score_valid_until"] is None
    assert [lead[k] for k in ("qr_scan_count", "catalog_views", "messages_count", "total_interactions")] == [
        0,
        0,
        0,
        0,
    ]
    breakdown = lead["score_breakdown"]
    assert (breakdown["engagement"], breakdown["qualification"], breakdown["recency"]) == (0, 40, 0)
    assert breakdown["next_boundary"] is None and breakdown["score_after_boundary"] is None

    fetched = await api.lead(lead["id"])
    assert {k: fetched[k] for k in FULL_PROFILE if k != "phone"} == {
        k: v for k, v in FULL_PROFILE.items() if k != "phone"
    }


async def test_post_updates_by_external_id_then_by_phone(api: Api):
    first = await api.create_lead(name="Omar", external_id="crm-7", phone="+971501234567")
    again = await api.post("/leads", json={"external_id": "crm-7", "budget_max": 900_000})
    assert again.status_code == 200, again.text
    updated = again.json()
    assert updated["id"] == first["id"]
    assert updated["name"] == "Omar" and updated["budget_max"] == 900_000
    assert updated["lead_score"] == first["lead_score"] + 10

    # No external_id: the phone finds the lead, written the way a person types it.
    by_phone = await api.post("/leads", json={"phone": "050 123 4567", "location": "JVC"})
    assert by_phone.status_code == 200, by_phone.text
    assert by_phone.json()["id"] == first["id"] and by_phone.json()["location"] == "JVC"

    # A different external_id is a different lead.
    other = await api.post("/leads", json={"name": "Someone", "external_id": "crm-8"})
    assert other.status_code == 201
    listed = (await api.get("/leads")).json()
    assert sorted(lead["name"] for lead in listed) == ["Omar", "Someone"]


async def test_get_shows_the_breakdown_and_the_next_boundary(api: Api):
    lead = await api.create_lead(name="Breakdown", phone="+971501234567", budget_max=3_000_000)
    for _ in range(2):
        await api.event(lead["id"], "qr_scan")
    api.clock.now = T0 + timedelta(minutes=25)
    got = await api.lead(lead["id"])
    breakdown = got["score_breakdown"]
    assert rule(breakdown, "qr_scans")["text"] == "qr scans 2 x 3 = 6 / 15"
    assert (rule(breakdown, "qr_scans")["points"], rule(breakdown, "qr_scans")["cap"]) == (6, 15)
    assert rule(breakdown, "phone")["points"] == 10 and rule(breakdown, "budget")["points"] == 10
    assert rule(breakdown, "location")["points"] == 0 and rule(breakdown, "location")["cap"] == 5
    assert (breakdown["engagement"], breakdown["qualification"], breakdown["recency"]) == (6, 20, 20)
    assert breakdown["total"] == got["lead_score"] == 46
    assert sum(line["points"] for line in breakdown["rules"]) == 46
    assert breakdown["next_boundary"] == "2026-03-02T11:00:00Z"  # last interaction 10:00 + 1 h
    assert breakdown["score_after_boundary"] == 41
    assert got["total_interactions"] == 2 and got["qr_scan_count"] == 2


async def test_reads_show_the_live_score_at_exact_boundaries(api: Api):
    lead = await api.create_lead(name="Fading")
    await api.event(lead["id"], "message")  # 1 + 20
    api.clock.now = T0 + timedelta(hours=1) - timedelta(microseconds=1)
    assert (await api.lead(lead["id"]))["lead_score"] == 21
    api.clock.now = T0 + timedelta(hours=1)  # exactly 1 h earns 15, not 20
    got = await api.lead(lead["id"])
    assert (got["lead_score"], got["score_breakdown"]["recency"]) == (16, 15)
    assert got["score_valid_until"] == "2026-03-02T16:00:00Z"
    listed = (await api.get("/leads")).json()
    assert [(x["id"], x["lead_score"]) for x in listed] == [(lead["id"], 16)]
    api.clock.now = T0 + timedelta(hours=72)
    listed = (await api.get("/leads")).json()
    assert (listed[0]["lead_score"], listed[0]["temperature"], listed[0]["score_valid_until"]) == (
        1,
        "cold",
        None,
    )


async def test_patch_changes_fields_and_status_and_rescores(api: Api):
    lead = await api.create_lead(name="Patchy")
    await api.event(lead["id"], "message")
    api.clock.now = T0 + timedelta(minutes=30)
    response = await api.patch(
        f"/leads/{lead['id']}", json={"phone": "0501234567", "budget_max": 2_000_000, "status": "contacted"}
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["lead_score"], patched["temperature"]) == (41, "warm")  # 1 + 20 + 20
    assert patched["status"] == "contacted" and patched["phone"] == "+971501234567"
    # Editing is not an interaction: recency still counts from the message at 10:00.
    assert patched["last_interaction_at"] == "2026-03-02T10:00:00Z"
    assert patched["updated_at"] == "2026-03-02T10:30:00Z"
    assert patched["score_breakdown"]["total"] == 41

    cleared = await api.patch(f"/leads/{lead['id']}", json={"phone": None, "location": "  "})
    assert cleared.status_code == 200
    assert cleared.json()["phone"] is None and cleared.json()["location"] is None
    assert cleared.json()["lead_score"] == 31
    assert (await api.lead(lead["id"]))["lead_score"] == 31


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"status": "maybe"}, "status"),
    ({"status": None}, "status"),
    ({"property_type": "castle"}, "property_type"),
    ({"transaction_type": "lease"}, "transaction_type"),
    ({"payment_method": "bitcoin"}, "payment_method"),
    ({"purpose": "fun"}, "purpose"),
    ({"budget_min": -1}, "budget_min"),
    ({"budget_max": 10**16}, "budget_max"),
    ({"budget_max": "lots"}, "budget_max"),
    ({"budget_min": 3_000_000, "budget_max": 1_000_000}, "budget_min"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"phone": "+1 555"}, "phone"),
    ({"name": "x" * 201}, "name"),
    ({"name": None}, "name"),
    ({"telegram_user_id": 0}, "telegram_user_id"),
    ({"notes": "x" * 10_001}, "notes"),
    ({"location": 5}, "location"),
]


async def test_bad_profile_fields_are_refused_and_nothing_is_written(api: Api):
    lead = await api.create_lead(
        name="Stable", external_id="stable-1", budget_min=2_000_000, budget_max=2_500_000
    )
    before = await api.lead(lead["id"])
    for body, field in BAD_FIELDS:
        # A good field next to the bad one must not be written either.
        error_of(await api.patch(f"/leads/{lead['id']}", json={"location": "Marina", **body}), 422, field)
        error_of(await api.post("/leads", json={"name": "New", "external_id": "new-1", **body}), 422, field)
        upsert = {"external_id": "stable-1", "location": "Marina", **body}
        error_of(await api.post("/leads", json=upsert), 422, field)
    assert await api.lead(lead["id"]) == before  # no half-written lead
    listed = (await api.get("/leads")).json()
    assert [x["id"] for x in listed] == [lead["id"]]


async def test_budget_min_above_stored_budget_max_is_refused(api: Api):
    lead = await api.create_lead(name="Budget", budget_max=1_000_000)
    error_of(await api.patch(f"/leads/{lead['id']}", json={"budget_min": 2_000_000}), 422, "budget_min")
    assert (await api.lead(lead["id"]))["budget_min"] is None


async def test_unknown_field_is_refused(api: Api):
    lead = await api.create_lead(name="Strict")
    body = error_of(await api.patch(f"/leads/{lead['id']}", json={"lead_score": 99}), 422)
    assert "lead_score" in body["error"]
    assert (await api.lead(lead["id"]))["lead_score"] == 0
    body = error_of(await api.post("/leads", json={"name": "X", "qr_scan_count": 5}), 422)
    assert "qr_scan_count" in body["error"]


async def test_unknown_field_is_named_in_field(api: Api):
    lead = await api.create_lead(name="Strict")
    error_of(await api.patch(f"/leads/{lead['id']}", json={"lead_score": 99}), 422, "lead_score")


async def test_bodies_that_are_not_json_objects_are_4xx(api: Api):
    for content, content_type in [
        (b"{", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"null", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"name=x", "application/x-www-form-urlencoded"),
    ]:
        response = await api.post("/leads", content=content, headers={"content-type": content_type})
        assert 400 <= response.status_code < 500, (content, response.status_code, response.text)
        assert "error" in response.json()
    assert (await api.get("/leads")).json() == []


async def test_external_id_taken_by_another_lead_is_a_conflict(api: Api):
    await api.create_lead(name="A", external_id="ext-a")
    b = await api.create_lead(name="B", external_id="ext-b")
    error_of(
        await api.patch(f"/leads/{b['id']}", json={"external_id": "ext-a", "name": "B2"}), 409, "external_id"
    )
    assert (await api.lead(b["id"]))["name"] == "B"
    assert (await api.lead(b["id"]))["external_id"] == "ext-b"


async def test_unknown_lead_is_404(api: Api):
    missing = "01a20e01-0000-7000-8000-000000000000"
    error_of(await api.get(f"/leads/{missing}"), 404)
    error_of(await api.patch(f"/leads/{missing}", json={"name": "x"}), 404)
    error_of(await api.post(f"/leads/{missing}/events", json={"type": "message"}), 404)
    error_of(await api.get("/leads/not-a-uuid"), 404)


async def test_list_orders_by_live_score_then_newest(api: Api):
    chatty = await api.create_lead(name="Chatty")
    for _ in range(2):
        await api.event(chatty["id"], "message")  # 2 + 20 = 22
    api.clock.now += timedelta(seconds=1)
    qualified = await api.create_lead(name="Qualified", phone="+971501234567", budget_max=1)  # 20
    api.clock.now += timedelta(seconds=1)
    twin_old = await api.create_lead(name="Twin old", location="Marina")  # 5
    api.clock.now += timedelta(seconds=1)
    twin_new = await api.create_lead(name="Twin new", property_type="villa")  # 5, newer
    names = [x["name"] for x in (await api.get("/leads")).json()]
    assert names == ["Chatty", "Qualified", "Twin new", "Twin old"]

    # Three days of silence: Chatty drops to 2 at once for every reader; the order follows with
    # the sweep (every few seconds in a running app), and reading never writes.
    api.clock.now = T0 + timedelta(hours=72)
    listed = (await api.get("/leads")).json()
    assert [(x["name"], x["lead_score"]) for x in listed][0] == ("Chatty", 2)
    assert await api.sweep() == 1
    listed = (await api.get("/leads")).json()
    assert [x["id"] for x in listed] == [qualified["id"], twin_new["id"], twin_old["id"], chatty["id"]]
    assert [x["lead_score"] for x in listed] == [20, 5, 5, 2]


async def test_list_leads_carry_every_field(api: Api):
    lead = await api.create_lead(**FULL_PROFILE)
    await api.event(lead["id"], "voice_message")
    await api.event(lead["id"], "qr_scan")
    await api.event(lead["id"], "catalog_view")
    (listed,) = (await api.get("/leads")).json()
    assert LEAD_FIELDS <= set(listed)
    assert (listed["messages_count"], listed["voice_messages_count"], listed["qr_scan_count"]) == (1, 1, 1)
    assert (listed["catalog_views"], listed["total_interactions"]) == (1, 3)
    assert listed["lead_score"] == 40 + 3 + 2 + 1 + 5 + 20
    assert listed["temperature"] == "burning"
    assert listed["last_interaction_at"] == iso(T0).replace("+00:00", "Z")


async def seed_for_filters(api: Api) -> dict[str, str]:
    ids = {}
    hot = await api.create_lead(name="Hana Hot", **{k: v for k, v in FULL_PROFILE.items() if k != "name"})
    await api.event(hot["id"], "message")  # 40 + 1 + 20 = 61 hot
    ids["hot"] = hot["id"]
    burning = await api.create_lead(
        name="Bilal Burning",
        phone="+971 52 765 4321",
        budget_max=5,
        location="X",
        property_type="land",
        payment_method="cash",
    )
    for kind in ("voice_message", "qr_scan", "qr_scan", "qr_scan", "catalog_view", "catalog_view"):
        await api.event(burning["id"], kind)  # 19 + 35 + 20 = 74 burning
    ids["burning"] = burning["id"]
    warm = await api.create_lead(name="Walid Warm", phone="+971 55 000 1111", budget_min=10)
    await api.event(warm["id"], "catalog_view")  # 20 + 2 + 20 = 42 warm
    ids["warm"] = warm["id"]
    cold = await api.create_lead(name="Carla Cold", location="JLT")  # 5 cold
    ids["cold"] = cold["id"]
    return ids


async def test_filter_by_temperature_one_or_several(api: Api):
    ids = await seed_for_filters(api)
    listed = {x["id"]: x["temperature"] for x in (await api.get("/leads")).json()}
    assert listed == {ids[t]: t for t in ("burning", "hot", "warm", "cold")}

    only_hot = (await api.get("/leads", params={"temperature": "hot"})).json()
    assert [x["id"] for x in only_hot] == [ids["hot"]]
    repeated = (await api.get("/leads?temperature=burning&temperature=cold")).json()
    assert [x["id"] for x in repeated] == [ids["burning"], ids["cold"]]
    comma = (await api.get("/leads?temperature=warm,hot")).json()
    assert [x["id"] for x in comma] == [ids["hot"], ids["warm"]]
    error_of(await api.get("/leads?temperature=tepid"), 422, "temperature")


async def test_filter_by_temperature_follows_the_sweep(api: Api):
    ids = await seed_for_filters(api)
    api.clock.now = T0 + timedelta(hours=1)  # every recency drops 20 -> 15
    await api.sweep()
    hot = (await api.get("/leads?temperature=hot")).json()
    assert sorted(x["id"] for x in hot) == sorted([ids["burning"], ids["hot"]])
    assert {x["lead_score"] for x in hot} == {56, 69}


async def test_search_by_name_and_by_phone_as_people_type_it(api: Api):
    ids = await seed_for_filters(api)

    async def found(q: str) -> list[str]:
        response = await api.get("/leads", params={"q": q})
        assert response.status_code == 200, response.text
        return sorted(x["id"] for x in response.json())

    assert await found("hana") == [ids["hot"]]
    assert await found("WALID w") == [ids["warm"]]
    assert await found("050 123 4567") == [ids["hot"]]  # national format, tenant region AE
    assert await found("+971501234567") == [ids["hot"]]
    assert await found("0527654321") == [ids["burning"]]
    assert await found("765 43") == [ids["burning"]]
    assert await found("nobody") == []
    assert await found("%") == []
    assert await found("_") == []


async def test_filter_by_status(api: Api):
    ids = await seed_for_filters(api)
    await api.patch(f"/leads/{ids['hot']}", json={"status": "contacted"})
    await api.patch(f"/leads/{ids['cold']}", json={"status": "won"})
    contacted = (await api.get("/leads?status=contacted")).json()
    assert [x["id"] for x in contacted] == [ids["hot"]]
    several = (await api.get("/leads?status=won&status=new")).json()
    assert sorted(x["id"] for x in several) == sorted([ids["cold"], ids["burning"], ids["warm"]])
    error_of(await api.get("/leads?status=pending"), 422, "status")


async def test_filter_by_updated_since(api: Api):
    old = await api.create_lead(name="Old")
    api.clock.now = T0 + timedelta(hours=2)
    fresh = await api.create_lead(name="Fresh")
    since = (T0 + timedelta(hours=1)).isoformat()
    listed = (await api.get("/leads", params={"updated_since": since})).json()
    assert [x["id"] for x in listed] == [fresh["id"]]

    api.clock.now = T0 + timedelta(hours=3)
    await api.event(old["id"], "message")
    listed = (
        await api.get("/leads", params={"updated_since": (T0 + timedelta(hours=2, minutes=30)).isoformat()})
    ).json()
    assert [x["id"] for x in listed] == [old["id"]]
    # Another offset names the same instant: 14:00+04:00 is 10:00 UTC.
    listed = (await api.get("/leads", params={"updated_since": "2026-03-02T14:00:00+04:00"})).json()
    assert len(listed) == 2

    error_of(await api.get("/leads", params={"updated_since": "2026-03-02T10:00:00"}), 422, "updated_since")
    error_of(await api.get("/leads", params={"updated_since": "yesterday"}), 422, "updated_since")


async def test_limit_defaults_to_50_and_is_bounded(api: Api):
    rows = "\n".join(f"Lead {i},ext-{i}" for i in range(55))
    imported = await api.post(
        "/leads/import", files={"file": ("leads.csv", f"name,external_id\n{rows}\n", "text/csv")}
    )
    assert imported.json()["created"] == 55, imported.text
    page = await api.get("/leads")
    assert len(page.json()) == 50 and 'rel="next"' in page.headers["link"]
    big = await api.get("/leads?limit=500")
    assert len(big.json()) == 55 and "link" not in big.headers
    error_of(await api.get("/leads?limit=0"), 422, "limit")
    error_of(await api.get("/leads?limit=501"), 422, "limit")
    error_of(await api.get("/leads?limit=ten"), 422, "limit")
    error_of(await api.get("/leads?cursor=not-a-cursor"), 422, "cursor")
