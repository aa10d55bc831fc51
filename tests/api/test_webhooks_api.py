"""Webhooks end to end: registered through the API, written in the change's transaction,
delivered signed by the app's own worker to a local receiver, retried, ordered, never lost."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import unit_of_work
from app.domain.clock import FrozenClock
from app.domain.enums import EventType
from app.domain.leads.service import LeadService
from app.domain.outbox.models import OutboxMessage
from app.domain.tenants.service import MAX_API_RATE, NewTenant, TenantService
from app.domain.tokens.scopes import TokenScope
from app.domain.tokens.service import TokenService
from app.domain.webhooks.models import WebhookDelivery
from app.main import create_app
from tests.api.conftest import Api, error_of
from tests.api.webhook_receiver import Receiver, app_reaching_local_receivers, register, running_receiver
from tests.conftest import TEST_SECRET_KEY


@pytest.fixture
async def client(
    database_url: str, clock: FrozenClock, engine: AsyncEngine
) -> AsyncIterator[AsyncTestClient]:
    async with app_reaching_local_receivers(database_url, clock) as test_client:
        yield test_client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as state:
        yield state


async def test_register_list_remove_and_the_secret_shown_once(api: Api, other: Api, receiver: Receiver):
    made = await register(api, receiver.url, ["lead.score_changed", "lead.created"])
    assert made["secret"].startswith("whsec_")
    assert made["events"] == ["lead.created", "lead.score_changed"]

    listed = (await api.get("/webhooks")).json()
    assert [e["id"] for e in listed] == [made["id"]]
    assert "secret" not in listed[0]

    # Another agency sees none of it and cannot touch it.
    assert (await other.get("/webhooks")).json() == []
    error_of(await other.request("DELETE", f"/webhooks/{made['id']}"), 404)
    error_of(await other.post(f"/webhooks/{made['id']}/test"), 404)

    assert (await api.request("DELETE", f"/webhooks/{made['id']}")).status_code == 204
    assert (await api.get("/webhooks")).json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["lead.created"]}, "url"),
        ({"url": "https://example.com/x", "events": ["lead.exploded"]}, "events"),
        ({"url": "https://example.com/x", "events": []}, None),
        ({"url": "https://example.com/x"}, None),
    ],
)
async def test_bad_registrations_are_refused_with_a_message(api: Api, body: dict, field: str | None):
    response = await api.post("/webhooks", json=body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]
    if field:
        assert response.json()["field"] == field


async def test_a_score_change_arrives_signed_with_the_lead_as_the_api_shows_it(api: Api, receiver: Receiver):
    hook = await register(api, receiver.url, ["lead.score_changed"])
    lead = await api.create_lead(name="Sara", phone="+971501234567")
    scored = await api.event(lead["id"], "message")

    (arrived,) = await receiver.wait_for(1)
    message = arrived.verified(hook["secret"])  # raises unless the signature is right
    assert arrived.headers["webhook-id"] == message["id"]
    assert message["type"] == "lead.score_changed"
    data = message["data"]
    assert data["id"] == lead["id"] and data["name"] == "Sara" and data["phone"] == "+971501234567"
    assert data["change"]["old_score"] == scored["score_before"]
    assert data["change"]["new_score"] == scored["lead_score"] == data["lead_score"]
    assert data["change"]["cause"] == "message"
    assert data["change"]["breakdown"]["total"] == scored["lead_score"]

    (delivery,) = await _settled(api, hook)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 1, 204)


async def test_nothing_is_queued_for_an_agency_without_endpoints(api: Api, session: AsyncSession):
    lead = await api.create_lead(name="Quiet")
    await api.event(lead["id"], "message")
    assert await session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


async def test_a_rejected_request_queues_nothing(api: Api, receiver: Receiver, session: AsyncSession):
    await register(api, receiver.url, ["lead.created"])
    error_of(await api.post("/leads", json={"name": "x", "budget_min": 10, "budget_max": 5}), 422)
    assert await session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert await session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


async def test_a_failing_receiver_gets_the_message_on_the_fourth_try(
    api: Api, receiver: Receiver, clock: FrozenClock
):
    receiver.answer = lambda attempt: 503 if attempt <= 3 else 200
    hook = await register(api, receiver.url, ["lead.created"])
    await api.create_lead(name="Persistent")

    for tries in range(1, 4):  # each failed try written down, then the clock moved past the next
        await _until(lambda tries=tries: _attempts_recorded(api, hook, tries))
        clock.now += timedelta(minutes=3)
    (arrived,) = await receiver.wait_for(1)
    assert arrived.verified(hook["secret"])["type"] == "lead.created"
    (delivery,) = await _settled(api, hook)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 4, 200)
    # The same message id on every try, so receivers can deduplicate.
    assert delivery["message_id"] == arrived.headers["webhook-id"]


async def test_redirects_are_not_followed(api: Api, receiver: Receiver):
    receiver.answer = lambda attempt: 302 if attempt == 1 else 200
    hook = await register(api, receiver.url, ["lead.created"])
    await api.create_lead(name="Redirected")
    await _until(lambda: receiver.hits >= 1)
    await asyncio.sleep(0.3)
    assert receiver.hits == 1  # the Location was not visited
    await _until(lambda: _delivery_tried(api, hook))
    (delivery,) = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
    assert (delivery["state"], delivery["last_status"]) == ("pending", 302)


async def test_an_endpoint_failing_for_a_day_is_disabled_and_says_why(
    api: Api, receiver: Receiver, clock: FrozenClock
):
    receiver.answer = lambda attempt: 500
    hook = await register(api, receiver.url, ["lead.created"])
    await api.create_lead(name="Doomed")
    for _ in range(40):  # each try written down, then the clock moved past the next one
        await _until(lambda: _attempts_recorded(api, hook, receiver.hits))
        (endpoint,) = (await api.get("/webhooks")).json()
        if not endpoint["enabled"]:
            break
        clock.now += timedelta(hours=4, minutes=30)
        before = receiver.hits
        await _until(lambda before=before: receiver.hits > before)
    assert not endpoint["enabled"] and "24 hours" in endpoint["disabled_reason"]
    (delivery,) = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
    assert delivery["state"] == "failed"

    # Turned back on, it gets new messages again.
    receiver.answer = lambda attempt: 200
    assert (await api.post(f"/webhooks/{hook['id']}/enable")).json()["enabled"]
    await api.create_lead(name="Alive")
    await receiver.wait_for(1)


async def test_ping_and_redeliver(api: Api, receiver: Receiver):
    hook = await register(api, receiver.url, ["lead.created"])
    ping = await api.post(f"/webhooks/{hook['id']}/test")
    assert ping.status_code == 202, ping.text
    (arrived,) = await receiver.wait_for(1)
    assert arrived.verified(hook["secret"])["type"] == "ping"
    await _settled(api, hook)

    again = await api.post(f"/webhooks/deliveries/{ping.json()['id']}/redeliver")
    assert again.status_code == 202, again.text
    first, second = await receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]


async def test_a_change_committed_while_no_worker_ran_is_delivered_after_restart(
    api: Api,
    receiver: Receiver,
    database_url: str,
    clock: FrozenClock,
    session_factory: async_sessionmaker[AsyncSession],
):
    """The process died right after the commit: the message waits in the outbox, and the next
    process to start delivers it."""
    hook = await register(api, receiver.url, ["lead.score_changed"])
    lead = await api.create_lead(name="Survivor")
    async with unit_of_work(session_factory) as session:  # the change, committed by no app at all
        await LeadService(session, clock).record(
            tenant_id=api.tenant_id,
            lead_id=uuid.UUID(lead["id"]),
            event_type=EventType.MESSAGE,
        )
    settings = Settings(
        database_url=database_url, webhook_allow_private=True, bot_polling=False, secret_key=TEST_SECRET_KEY
    )
    async with AsyncTestClient(create_app(settings, clock=clock)):
        (arrived,) = await receiver.wait_for(1)
    assert arrived.verified(hook["secret"])["data"]["id"] == lead["id"]


async def test_many_score_changes_arrive_in_order_per_lead_and_none_missing(
    api: Api, receiver: Receiver, clock: FrozenClock, session: AsyncSession
):
    """1,000 score changes over 10 leads, 4 leads at a time: each lead's messages arrive in
    order and none is missing. A try that fails (this loaded event loop may keep the receiver
    from answering within 10 s) is retried later: the held clock is moved on when nothing
    arrives, and the receiver drops repeats by `webhook-id`, as receivers should."""
    # Over a thousand calls on one token while the held clock stands still: lift its rate limit.
    await TenantService(session, clock).set_api_rate_limit(api.tenant_id, MAX_API_RATE, MAX_API_RATE)
    await session.commit()
    hook = await register(api, receiver.url, ["lead.score_changed"])
    leads = [(await api.create_lead(name=f"L{i}"))["id"] for i in range(10)]
    semaphore = asyncio.Semaphore(4)

    async def flip(lead_id: str) -> None:
        async with semaphore:
            for n in range(100):  # a budget given, then taken away: the score moves each time
                budget = 1_000_000 if n % 2 == 0 else None
                response = await api.patch(f"/leads/{lead_id}", json={"budget_max": budget})
                assert response.status_code == 200, response.text

    await asyncio.gather(*(flip(lead_id) for lead_id in leads))

    def unique() -> dict[str, dict]:
        return {r.headers["webhook-id"]: r.verified(hook["secret"]) for r in receiver.received}

    async with asyncio.timeout(180):
        while len(unique()) < 1000:
            before = len(receiver.received)
            await asyncio.sleep(2)
            if len(receiver.received) == before:
                clock.now += timedelta(minutes=1)
    per_lead: dict[str, list[dict]] = {}
    for message in unique().values():  # in the order they first arrived
        per_lead.setdefault(message["data"]["id"], []).append(message["data"]["change"])
    assert sorted(per_lead) == sorted(leads)
    for changes in per_lead.values():
        assert len(changes) == 100
        for earlier, later in zip(changes, changes[1:], strict=False):
            assert later["old_score"] == earlier["new_score"]  # in order, none missing


async def _until(condition, within: float = 10.0) -> None:
    """Wait until `condition()` holds (the worker runs in this event loop; it needs turns)."""
    async with asyncio.timeout(within):
        while not await _maybe_await(condition()):  # noqa: ASYNC110 - nothing signals these
            await asyncio.sleep(0.02)


async def _maybe_await(value):
    return await value if asyncio.iscoroutine(value) else value


async def _settled(api: Api, hook: dict) -> list[dict]:
    """The endpoint's deliveries once none is waiting to be written down as delivered."""
    deliveries: list[dict] = []

    async def none_in_flight() -> bool:
        nonlocal deliveries
        deliveries = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
        return all(d["state"] != "pending" for d in deliveries)

    await _until(none_in_flight)
    return deliveries


async def _attempts_recorded(api: Api, hook: dict, attempts: int) -> bool:
    deliveries = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
    return bool(attempts) and bool(deliveries) and deliveries[0]["attempts"] == attempts


async def _delivery_tried(api: Api, hook: dict) -> bool:
    deliveries = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
    return bool(deliveries) and deliveries[0]["attempts"] >= 1


async def test_status_and_owner_changes_are_told(api: Api, receiver: Receiver, tenant: NewTenant):
    hook = await register(api, receiver.url, ["lead.status_changed", "lead.assigned"])
    lead = await api.create_lead(name="Moving along")
    assert (await api.patch(f"/leads/{lead['id']}", json={"status": "contacted"})).status_code == 200
    assert (
        await api.patch(f"/leads/{lead['id']}", json={"assigned_to": tenant.admin.email})
    ).status_code == 200
    await receiver.wait_for(2)
    status, assigned = receiver.messages(hook["secret"])
    assert status["type"] == "lead.status_changed"
    assert status["data"]["change"] == {"old_status": "new", "new_status": "contacted"}
    assert assigned["type"] == "lead.assigned"
    assert assigned["data"]["change"] == {"assigned_to": tenant.admin.email}
    assert assigned["data"]["assigned_to"] == tenant.admin.email


async def test_webhooks_need_an_admin_token(api: Api, session: AsyncSession, clock: FrozenClock):
    issued = await TokenService(session, clock).issue(api.tenant_id, "crm", scope=TokenScope.WRITE)
    await session.commit()
    response = await api.client.get(
        f"{api.base}/webhooks", headers={"Authorization": f"Bearer {issued.token}"}
    )
    assert error_of(response, 403)["error"].endswith("needs the 'admin' scope.")
