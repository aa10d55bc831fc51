"""Token scopes (read, write, admin), last use, and the per-token rate limit with its headers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.tenants.models import Tenant
from app.domain.tokens.models import ApiToken
from app.domain.tokens.scopes import TokenScope
from app.domain.tokens.service import TRUSTED, TokenService
from tests.api.conftest import Api, error_of


async def token(api: Api, session: AsyncSession, scope: TokenScope) -> dict[str, str]:
    issued = await TokenService(session, api.clock).issue(api.tenant_id, f"{scope} token", scope)
    await session.commit()
    return {"Authorization": f"Bearer {issued.token}"}


async def call(api: Api, method: str, path: str, headers: dict[str, str], **kwargs):
    return await api.client.request(method, api.url(path), headers=headers, **kwargs)


async def test_a_read_token_reads_and_cannot_write(api: Api, session: AsyncSession):
    lead = await api.create_lead(name="Read me")
    read = await token(api, session, TokenScope.READ)
    for path in ["/leads", f"/leads/{lead['id']}", "/leads/export", "/scoring-rules"]:
        assert (await call(api, "GET", path, read)).status_code == 200, path
    for method, path, body in [
        ("POST", "/leads", {"json": {"name": "Nope"}}),
        ("PATCH", f"/leads/{lead['id']}", {"json": {"name": "Nope"}}),
        ("POST", f"/leads/{lead['id']}/events", {"json": {"type": "message"}}),
        ("POST", "/events/bulk", {"json": [{"lead_id": lead["id"], "type": "message"}]}),
        ("DELETE", f"/leads/{lead['id']}", {}),
        ("PUT", "/scoring-rules", {"json": {}}),
    ]:
        body = error_of(await call(api, method, path, read, **body), 403)
        assert "'read'" in body["error"] and "needs the" in body["error"], (method, path)
    assert (await api.lead(lead["id"]))["name"] == "Read me"
    assert (await api.lead(lead["id"]))["messages_count"] == 0


async def test_a_write_token_writes_but_cannot_change_rules(api: Api, session: AsyncSession):
    write = await token(api, session, TokenScope.WRITE)
    created = await call(api, "POST", "/leads", write, json={"name": "Writer"})
    assert created.status_code == 201
    assert (await call(api, "GET", "/scoring-rules", write)).status_code == 200
    for method, path in [
        ("PUT", "/scoring-rules"),
        ("PATCH", "/scoring-rules"),
        ("POST", "/scoring-rules/preview"),
    ]:
        body = error_of(await call(api, method, path, write, json={"phone_points": 1}), 403)
        assert "'admin' scope" in body["error"]
    assert (await api.get("/scoring-rules")).json()["phone_points"] != 1
    erased = await call(api, "DELETE", f"/leads/{created.json()['id']}", write)
    assert erased.status_code == 204


async def test_an_agencys_first_token_is_admin(api: Api, session: AsyncSession):
    scopes = (
        await session.scalars(sa.select(ApiToken.scope).where(ApiToken.tenant_id == api.tenant_id))
    ).all()
    assert scopes == ["admin"]
    assert (await api.patch("/scoring-rules", json={"phone_points": 4})).status_code == 200


async def test_last_used_is_written_at_most_once_a_minute(api: Api, session: AsyncSession):
    async def last_used():
        return await session.scalar(
            sa.select(ApiToken.last_used_at).where(ApiToken.tenant_id == api.tenant_id)
        )

    assert await last_used() is None
    await api.get("/leads")
    first = api.clock.now
    assert await last_used() == first
    for seconds in (10, 30, 59):
        api.clock.now = first + timedelta(seconds=seconds)
        TRUSTED._entries.clear()  # as if a second had passed for this process's token cache too
        await api.get("/leads")
        assert await last_used() == first
    api.clock.now = first + timedelta(seconds=61)
    await api.get("/leads")
    assert await last_used() == api.clock.now


async def test_over_the_burst_is_429_until_the_bucket_refills(api: Api):
    statuses = []
    for _ in range(101):
        response = await api.get("/leads")
        statuses.append(response.status_code)
        assert response.headers["ratelimit-limit"] == "100"
    assert statuses[:100] == [200] * 100
    refused = error_of(response, 429)
    assert "rate limit of 50 requests a second" in refused["error"]
    assert response.headers["retry-after"] == "1"
    assert response.headers["ratelimit-remaining"] == "0"

    api.clock.now += timedelta(seconds=1)  # 50 more tokens
    again = [(await api.get("/leads")).status_code for _ in range(51)]
    assert again == [200] * 50 + [429]


async def test_headers_count_down_and_each_token_has_its_own_bucket(api: Api, session: AsyncSession):
    remaining = [int((await api.get("/leads")).headers["ratelimit-remaining"]) for _ in range(12)]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] < remaining[0]
    assert remaining[-1] >= 100 - 12 - 5  # at most one allowance (a tenth of the rate) held locally
    other = await token(api, session, TokenScope.READ)
    fresh = await call(api, "GET", "/leads", other)
    assert int(fresh.headers["ratelimit-remaining"]) > remaining[-1]
    assert "ratelimit-reset" in fresh.headers


async def test_the_limit_is_a_setting_of_the_agency(api: Api, session: AsyncSession):
    await session.execute(
        sa.update(Tenant).where(Tenant.id == api.tenant_id).values(api_rate_per_second=2, api_burst=3)
    )
    await session.commit()
    TRUSTED._entries.clear()
    statuses = [(await api.get("/leads")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    api.clock.now += timedelta(milliseconds=500)  # one more at 2 a second
    assert [(await api.get("/leads")).status_code for _ in range(2)] == [200, 429]


async def test_errors_carry_the_rate_limit_headers_too(api: Api):
    for response in [
        await api.get(f"/leads/{uuid.uuid4()}"),
        await api.get("/leads?temperature=tepid"),
        await api.post("/leads", json={"name": 7}),
    ]:
        assert response.status_code in (404, 422)
        assert "ratelimit-remaining" in response.headers, response.status_code
