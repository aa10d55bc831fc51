"""Live cards over real HTTP (uvicorn, SSE) on SQLite and PostgreSQL: a tab opened after another
closed still gets every update, every open tab gets the card rendered once, and a stream ends
when its login session ends or its agent is deactivated."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import create_engine, unit_of_work
from app.domain.agents.models import Agent
from bench.common import served_app
from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.e2e.conftest import EMAIL, PASSWORD, _prepare
from tests.system.conftest import litestar


@dataclass
class Served:
    base: str
    database_url: str
    tenant_id: str
    token: str

    def api(self, path: str) -> str:
        return f"{self.base}/api/tenants/{self.tenant_id}{path}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def served(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    if backend == "postgres":
        request.getfixturevalue("postgres_url")  # skips or fails when PostgreSQL is missing
        url = fresh_postgres_database("leadheat_live")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    try:
        litestar(url, "database", "upgrade", "--no-prompt")
        tenant_id, token = asyncio.run(_prepare(url))
        env = {"VAR_DIR": str(tmp_path), "SWEEP_INTERVAL_SECONDS": "60"}
        with served_app(url, log_path=tmp_path / "server.log", extra_env=env) as base:
            yield Served(base, url, tenant_id, token)
    finally:
        if backend == "postgres":
            drop_postgres_database(url)


async def logged_in(site: Served) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=site.base, timeout=10)
    await client.get("/login")
    csrf = client.cookies["leadheat_csrf"]
    response = await client.post("/login", data={"email": EMAIL, "password": PASSWORD, "_csrf_token": csrf})
    assert response.status_code in (200, 303), response.text
    return client


@contextlib.asynccontextmanager
async def live_stream(client: httpx.AsyncClient) -> AsyncIterator[asyncio.Queue[tuple[str, str] | None]]:
    """The SSE events of `GET /live` as (event, data), None when the server ended the stream."""
    events: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
    connected = asyncio.Event()

    async def read() -> None:
        async with client.stream("GET", "/live", timeout=httpx.Timeout(10, read=60)) as response:
            assert response.status_code == 200
            event, data = "", []
            async for line in response.aiter_lines():
                if line.startswith(": connected"):
                    connected.set()
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif line == "" and event:
                    events.put_nowait((event, "\n".join(data)))
                    event, data = "", []
        events.put_nowait(None)

    task = asyncio.create_task(read())
    await asyncio.wait_for(connected.wait(), 10)
    try:
        yield events
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def next_card(events: asyncio.Queue[tuple[str, str] | None], lead_id: str, within: float = 5) -> str:
    deadline = time.monotonic() + within
    while True:
        item = await asyncio.wait_for(events.get(), max(0.01, deadline - time.monotonic()))
        assert item is not None, "the stream ended"
        if item[0] == f"lead-{lead_id}":
            return item[1]


async def card_showing(
    events: asyncio.Queue[tuple[str, str] | None], lead_id: str, text: str, within: float = 5
) -> str:
    """The lead's first card that shows `text`: a card for an earlier change (the lead's creation,
    told a moment after the stream opened) may come first, and is not what is being waited for."""
    deadline = time.monotonic() + within
    while True:
        card = await next_card(events, lead_id, max(0.01, deadline - time.monotonic()))
        if text in card:
            return card


async def test_a_tab_opened_after_another_closed_gets_every_update(served: Served):
    agent = await logged_in(served)
    api = httpx.AsyncClient(headers=served.auth, timeout=10)
    lead = (await api.post(served.api("/leads"), json={"name": "Reopened"})).json()
    for round_number in range(3):  # open, receive, close: three times over
        async with live_stream(agent) as events:
            response = await api.post(served.api(f"/leads/{lead['id']}/events"), json={"type": "qr_scan"})
            assert response.status_code == 201
            await card_showing(events, lead["id"], f"[{3 * (round_number + 1) + 20}]")
    # Two tabs at once, then one closes: the other still gets the next update.
    async with live_stream(agent) as first:
        async with live_stream(agent) as second:
            await api.post(served.api(f"/leads/{lead['id']}/events"), json={"type": "catalog_view"})
            assert await next_card(first, lead["id"]) == await next_card(second, lead["id"])
        await api.post(served.api(f"/leads/{lead['id']}/events"), json={"type": "catalog_view"})
        await card_showing(first, lead["id"], "[33]")
    await api.aclose()
    await agent.aclose()


async def test_a_stream_ends_at_logout_and_at_deactivation(served: Served):
    agent = await logged_in(served)
    async with live_stream(agent) as events:
        csrf = agent.cookies["leadheat_csrf"]
        await agent.post("/logout", data={"_csrf_token": csrf})
        assert await asyncio.wait_for(_ended(events), 10) is None

    again = await logged_in(served)
    async with live_stream(again) as events:
        engine = create_engine(served.database_url)
        async with unit_of_work(async_sessionmaker(engine)) as session:
            await session.execute(sa.update(Agent).where(Agent.email == EMAIL).values(is_active=False))
        await engine.dispose()
        assert await asyncio.wait_for(_ended(events), 10) is None
    await agent.aclose()
    await again.aclose()


async def _ended(events: asyncio.Queue[tuple[str, str] | None]) -> None:
    """Waits until the server ends the stream (None), skipping any cards before that."""
    while await events.get() is not None:
        pass
