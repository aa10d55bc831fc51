"""SCORING.md's worked examples, reproduced purely through the JSON API (default rule set)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import Api
from tests.conftest import T0  # 2026-03-02 10:00 UTC: the expo opens


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def score_of(api: Api, lead_id: str) -> tuple[int, str]:
    got = await api.lead(lead_id)
    return got["lead_score"], got["temperature"]


async def test_new_lead_says_hello_is_21_cold(api: Api):
    lead = await api.create_lead(name="Hello", telegram_user_id=4242)
    body = await api.event(lead["id"], "message", payload={"text": "Hello"})
    assert (body["lead_score"], body["temperature"]) == (21, "cold")
    b = body["score_breakdown"]
    assert (b["engagement"], b["qualification"], b["recency"]) == (1, 0, 20)
    assert await score_of(api, lead["id"]) == (21, "cold")


async def test_troubleshooting_lead_is_31_warm(api: Api):
    """2 QR, 5 messages, phone, budget_max, no interaction time: 11 + 20 + 0."""
    csv = "name,phone,budget_max,qr_scan_count,messages_count\nTrouble,0501234567,2500000,2,5\n"
    imported = await api.post("/leads/import", files={"file": ("seed.csv", csv, "text/csv")})
    assert imported.json() == {"created": 1, "updated": 0, "errors": []}, imported.text
    (lead,) = (await api.get("/leads")).json()
    assert (lead["lead_score"], lead["temperature"], lead["last_interaction_at"]) == (31, "warm", None)
    api.clock.now = T0 + timedelta(days=30)  # any time: no recency to lose
    assert await score_of(api, lead["id"]) == (31, "warm")


async def test_troubleshooting_lead_through_old_events_is_31_warm(api: Api):
    lead = await api.create_lead(name="Trouble", phone="+971501234567", budget_max=2_500_000)
    long_ago = (T0 - timedelta(days=5)).isoformat()
    for kind in ["qr_scan"] * 2 + ["message"] * 5:
        await api.event(lead["id"], kind, occurred_at=long_ago)
    got = await api.lead(lead["id"])
    assert (got["lead_score"], got["temperature"]) == (31, "warm")
    b = got["score_breakdown"]
    assert (b["engagement"], b["qualification"], b["recency"]) == (11, 20, 0)


async def test_expo_timeline_step_by_step(api: Api):
    lead = await api.create_lead(name="Expo visitor")
    lead_id = lead["id"]

    async def event(minute: int, kind: str) -> int:
        api.clock.now = T0 + timedelta(minutes=minute)
        return (await api.event(lead_id, kind))["lead_score"]

    async def patch(minute: int, **fields: object) -> int:
        api.clock.now = T0 + timedelta(minutes=minute)
        response = await api.patch(f"/leads/{lead_id}", json=fields)
        assert response.status_code == 200, response.text
        return response.json()["lead_score"]

    assert await event(0, "qr_scan") == 23
    assert await score_of(api, lead_id) == (23, "cold")
    assert await event(5, "catalog_view") == 25
    assert await score_of(api, lead_id) == (25, "warm")
    assert await event(10, "message") == 26
    assert await patch(10, phone="050 123 4567") == 36
    assert await patch(15, budget_max=2_500_000) == 46
    assert await patch(20, property_type="apartment", location="Dubai Marina", transaction_type="buy") == 61
    assert await score_of(api, lead_id) == (61, "hot")
    assert await event(25, "voice_message") == 67
    got = await api.lead(lead_id)
    assert (got["lead_score"], got["temperature"]) == (67, "hot")
    # "drops to 62 at 11:25"
    assert got["score_breakdown"]["next_boundary"] == "2026-03-02T11:25:00Z"
    assert got["score_breakdown"]["score_after_boundary"] == 62

    api.clock.now = T0 + timedelta(hours=1, minutes=25)
    assert await score_of(api, lead_id) == (62, "hot")
    api.clock.now = T0 + timedelta(days=13, minutes=25)
    assert await score_of(api, lead_id) == (47, "warm")
    listed = (await api.get("/leads")).json()
    assert (listed[0]["lead_score"], listed[0]["temperature"]) == (47, "warm")


async def test_expo_timeline_sent_afterwards_with_the_clock_held(api: Api):
    """The integrator sends the morning's events later, each with its own occurred_at."""
    api.clock.now = T0 + timedelta(minutes=25, seconds=30)
    lead = await api.create_lead(
        name="Expo visitor",
        phone="050 123 4567",
        budget_max=2_500_000,
        property_type="apartment",
        location="Dubai Marina",
        transaction_type="buy",
    )
    for minute, kind in [(0, "qr_scan"), (5, "catalog_view"), (10, "message"), (25, "voice_message")]:
        last = await api.event(lead["id"], kind, occurred_at=at(minute), idempotency_key=f"expo-{minute}")
    assert (last["lead_score"], last["temperature"]) == (67, "hot")
    got = await api.lead(lead["id"])
    assert got["last_interaction_at"] == "2026-03-02T10:25:00Z"
    assert (
        got["qr_scan_count"],
        got["catalog_views"],
        got["messages_count"],
        got["voice_messages_count"],
    ) == (
        1,
        1,
        2,
        1,
    )
    assert got["score_breakdown"]["score_after_boundary"] == 62

    api.clock.now = T0 + timedelta(hours=1, minutes=25)
    assert await score_of(api, lead["id"]) == (62, "hot")
    api.clock.now = T0 + timedelta(hours=6, minutes=25)
    assert await score_of(api, lead["id"]) == (57, "hot")
    api.clock.now = T0 + timedelta(days=1, minutes=25)
    assert await score_of(api, lead["id"]) == (52, "hot")
    api.clock.now = T0 + timedelta(days=13)
    assert await score_of(api, lead["id"]) == (47, "warm")


async def test_the_same_timeline_through_bulk(api: Api):
    api.clock.now = T0 + timedelta(minutes=26)
    lead = await api.create_lead(
        name="Expo visitor",
        external_id="expo-1",
        phone="+971501234567",
        budget_max=2_500_000,
        property_type="apartment",
        location="Dubai Marina",
        transaction_type="buy",
    )
    items = [
        {"external_id": "expo-1", "type": kind, "occurred_at": at(minute)}
        for minute, kind in [(25, "voice_message"), (0, "qr_scan"), (10, "message"), (5, "catalog_view")]
    ]
    assert await api.bulk(items) == {"accepted": 4, "duplicates": 0, "rejected": []}
    assert await score_of(api, lead["id"]) == (67, "hot")
    api.clock.now = T0 + timedelta(hours=1, minutes=25)
    assert await score_of(api, lead["id"]) == (62, "hot")


@pytest.mark.parametrize("via", ["events", "bulk"])
async def test_everything_maxed_is_100_burning(api: Api, via: str):
    lead = await api.create_lead(
        name="Maxed",
        external_id="max-1",
        phone="+971501234567",
        budget_min=1,
        transaction_type="buy",
        property_type="villa",
        location="Palm Jumeirah",
        payment_method="cash",
    )
    kinds = ["qr_scan"] * 6 + ["catalog_view"] * 6 + ["message"] * 10 + ["voice_message"]
    if via == "events":
        for kind in kinds:
            last = await api.event(lead["id"], kind, occurred_at=at(-30))
        assert (last["lead_score"], last["temperature"]) == (100, "burning")
    else:
        result = await api.bulk([{"lead_id": lead["id"], "type": k, "occurred_at": at(-30)} for k in kinds])
        assert result["accepted"] == len(kinds)
    got = await api.lead(lead["id"])
    assert (got["lead_score"], got["temperature"]) == (100, "burning")
    b = got["score_breakdown"]
    assert (b["engagement"], b["qualification"], b["recency"]) == (40, 40, 20)
    assert {line["rule"]: line["points"] == line["cap"] for line in b["rules"]} == {
        line["rule"]: True for line in b["rules"]
    }


@pytest.mark.parametrize("via", ["events", "bulk"])
async def test_forty_messages_two_hours_ago_is_25_warm(api: Api, via: str):
    lead = await api.create_lead(name="Talker")
    two_hours_ago = at(-120)
    if via == "events":
        for i in range(40):
            await api.event(lead["id"], "message", occurred_at=two_hours_ago, idempotency_key=f"m{i}")
    else:
        result = await api.bulk(
            [{"lead_id": lead["id"], "type": "message", "occurred_at": two_hours_ago} for _ in range(40)]
        )
        assert result == {"accepted": 40, "duplicates": 0, "rejected": []}
    got = await api.lead(lead["id"])
    assert (got["lead_score"], got["temperature"], got["messages_count"]) == (25, "warm", 40)
    b = got["score_breakdown"]
    assert (b["engagement"], b["qualification"], b["recency"]) == (10, 0, 15)
    assert (
        next(line for line in b["rules"] if line["rule"] == "messages")["text"] == "messages 40 x 1 = 10 / 10"
    )
