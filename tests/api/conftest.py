"""Fixtures for the JSON API tests: the real app per test, driven over HTTP as an integrator would."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.domain.clock import FrozenClock
from app.domain.tenants.service import NewTenant
from app.main import create_app
from app.sweep import sweep_once
from tests.conftest import TEST_SECRET_KEY, make_tenant

LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def iso(when: datetime) -> str:
    return when.isoformat()


@dataclass
class Api:
    """One tenant's view of the API: its id, its token and the client."""

    client: AsyncTestClient[Any]
    tenant_id: uuid.UUID
    token: str
    clock: FrozenClock
    sessions: async_sessionmaker[AsyncSession] | None = None

    async def sweep(self) -> int:
        """What the app's background sweep does every few seconds, now."""
        assert self.sessions is not None
        return await sweep_once(self.sessions, self.clock)

    @property
    def base(self) -> str:
        return f"/api/tenants/{self.tenant_id}"

    def url(self, path: str = "") -> str:
        return f"{self.base}{path}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        target = path if path.startswith(("/api/", "/schema", "http")) else self.url(path)
        return await self.client.request(method, target, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def create_lead(self, **fields: Any) -> dict[str, Any]:
        fields.setdefault("name", "Lead")
        response = await self.post("/leads", json=fields)
        assert response.status_code == 201, response.text
        return response.json()

    async def event(self, lead_id: str, type: str, **body: Any) -> dict[str, Any]:
        response = await self.post(f"/leads/{lead_id}/events", json={"type": type, **body})
        assert response.status_code == 201, response.text
        return response.json()

    async def lead(self, lead_id: str) -> dict[str, Any]:
        response = await self.get(f"/leads/{lead_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def bulk(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        response = await self.post("/events/bulk", json=items)
        assert response.status_code == 200, response.text
        return response.json()

    async def walk(self, path: str = "/leads", between: Any = None) -> list[list[dict[str, Any]]]:
        """Follow `Link: rel="next"` to the end; `between(page_number)` runs before each next page."""
        pages: list[list[dict[str, Any]]] = []
        target: str | None = path
        while target is not None:
            if pages and between is not None:
                await between(len(pages))
            response = await self.get(target)
            assert response.status_code == 200, response.text
            pages.append(response.json())
            match = LINK_NEXT.search(response.headers.get("link", ""))
            target = match.group(1) if match else None
            assert len(pages) < 100, "the walk does not end"
        return pages


def error_of(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The JSON error body, after checking the status and (when given) the field it names."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert "Traceback" not in body["error"]
    if field is not None:
        assert body.get("field") == field, body
    return body


_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_admin_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Agencies made for these tests get a real but cheap Argon2 hash: passwords are not under test here."""

    async def cheap_hash(password: str) -> str:
        return _CHEAP_HASHER.hash(password)

    monkeypatch.setattr("app.domain.tenants.service.hash_password", cheap_hash)


@pytest.fixture
async def client(
    engine: AsyncEngine, database_url: str, clock: FrozenClock
) -> AsyncIterator[AsyncTestClient]:
    app = create_app(
        Settings(database_url=database_url, sweep_interval_seconds=60, secret_key=TEST_SECRET_KEY),
        clock=clock,
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(
    client: AsyncTestClient,
    tenant: NewTenant,
    clock: FrozenClock,
    session_factory: async_sessionmaker[AsyncSession],
) -> Api:
    return Api(client, tenant.tenant.id, tenant.api_token, clock, session_factory)


@pytest.fixture
async def other(client: AsyncTestClient, session: AsyncSession, clock: FrozenClock) -> Api:
    """A second agency on the same server."""
    second = await make_tenant(session, clock, "Other Realty")
    return Api(client, second.tenant.id, second.api_token, clock)
