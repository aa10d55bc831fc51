"""A message event's text is read: the fields it states are set, scored once with the message."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.leads.models import LeadEvent
from tests.api.conftest import Api

STATES_A_LOT = "Looking for a 2BR apartment in Dubai Marina, budget up to 2M, cash"


async def message_events(session: AsyncSession, lead_id: str) -> list[LeadEvent]:
    rows = await session.scalars(
        sa.select(LeadEvent)
        .where(LeadEvent.lead_id == uuid.UUID(lead_id), LeadEvent.type == "message")
        .order_by(LeadEvent.received_at, LeadEvent.id)
        .execution_options(populate_existing=True)
    )
    events = list(rows)
    await session.commit()  # no snapshot held between the requests
    return events


async def test_a_message_fills_the_fields_it_states_and_is_scored_once(api: Api, session: AsyncSession):
    lead = await api.create_lead(name="Reader")
    api.clock.now += timedelta(minutes=1)
    body = await api.event(lead["id"], "message", payload={"text": STATES_A_LOT})
    # message 1 + budget 10 + property type 5 + location 5 + payment method 5 + recency 20
    assert (body["score_before"], body["lead_score"], body["temperature"]) == (0, 46, "warm")

    got = await api.lead(lead["id"])
    assert (got["property_type"], got["bedrooms"], got["location"]) == ("apartment", 2, "Dubai Marina")
    assert (got["budget_min"], got["budget_max"], got["payment_method"]) == (None, 2_000_000, "cash")
    assert (got["messages_count"], got["lead_score"]) == (1, 46)

    points = (await api.get(f"/leads/{lead['id']}/history")).json()
    assert [(p["change"], p["score"]) for p in points] == [("created", 0), ("message", 46)]
    [event] = await message_events(session, lead["id"])
    assert event.payload["text"] == STATES_A_LOT
    assert event.payload["read"]["summary"] == "2-bedroom apartment, Dubai Marina, budget up to AED 2M, cash"
    assert event.payload["read"]["fields"]["budget_max"] == 2_000_000
    assert (event.score_before, event.score_after) == (0, 46)


async def test_a_message_never_overwrites_an_api_value_and_a_later_message_overrides_an_earlier(
    api: Api, session: AsyncSession
):
    lead = await api.create_lead(name="Precise", location="Downtown Dubai")
    await api.event(lead["id"], "message", payload={"text": STATES_A_LOT})
    got = await api.lead(lead["id"])
    assert got["location"] == "Downtown Dubai"  # set by the API: the message's Dubai Marina is not taken
    assert got["budget_max"] == 2_000_000

    api.clock.now += timedelta(minutes=1)
    body = await api.event(lead["id"], "message", payload={"text": "actually up to 3M"})
    got = await api.lead(lead["id"])
    assert (got["budget_max"], got["location"]) == (3_000_000, "Downtown Dubai")
    assert body["score_before"] + 1 == body["lead_score"]  # the budget was already counted

    # Once the API sets the budget, messages no longer move it.
    await api.patch(f"/leads/{lead['id']}", json={"budget_max": 2_500_000})
    await api.event(lead["id"], "message", payload={"text": "up to 4M"})
    assert (await api.lead(lead["id"]))["budget_max"] == 2_500_000
    last = (await message_events(session, lead["id"]))[-1]
    assert last.payload["read"]["applied"] == []
    assert last.payload["read"]["summary"] == "budget up to AED 4M"


async def test_a_value_confirmed_by_the_api_is_no_longer_the_messages(api: Api):
    lead = await api.create_lead(name="Confirmed")
    await api.event(lead["id"], "message", payload={"text": "budget up to 2M"})
    await api.patch(f"/leads/{lead['id']}", json={"budget_max": 2_000_000})  # the same value
    await api.event(lead["id"], "message", payload={"text": "up to 3M"})
    assert (await api.lead(lead["id"]))["budget_max"] == 2_000_000


async def test_a_message_with_nothing_to_read_changes_no_field(api: Api, session: AsyncSession):
    lead = await api.create_lead(name="Chatty", phone="+971501234567")
    before = await api.lead(lead["id"])
    body = await api.event(lead["id"], "message", payload={"text": "Hello, when can we talk?"})
    assert body["lead_score"] == before["lead_score"] + 1 + 20  # the message and recency only
    after = await api.lead(lead["id"])
    fields = ("budget_min", "budget_max", "property_type", "bedrooms", "location", "payment_method", "phone")
    assert {k: after[k] for k in fields} == {k: before[k] for k in fields}
    [event] = await message_events(session, lead["id"])
    assert "read" not in event.payload


async def test_a_repeated_key_reads_and_counts_once(api: Api):
    lead = await api.create_lead(name="Retry")
    body = {"type": "message", "idempotency_key": "m-1", "payload": {"text": STATES_A_LOT}}
    first = await api.post(f"/leads/{lead['id']}/events", json=body)
    again = await api.post(f"/leads/{lead['id']}/events", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    got = await api.lead(lead["id"])
    assert (got["messages_count"], got["budget_max"]) == (1, 2_000_000)


async def test_another_agencys_lead_is_not_read_into(api: Api, other: Api):
    lead = await api.create_lead(name="Mine")
    response = await other.post(
        f"/leads/{lead['id']}/events", json={"type": "message", "payload": {"text": STATES_A_LOT}}
    )
    assert response.status_code == 404
    got = await api.lead(lead["id"])
    assert (got["messages_count"], got["budget_max"], got["location"]) == (0, None, None)
