"""PostgreSQL goes away under load and comes back: the app recovers by itself, says it is not
ready meanwhile, answers 503 (never 500), and keeps every event it acknowledged.

Why not `pg_ctlcluster ... restart`: other test runs share the local cluster, and a restart would
break them. This outage is the same for our app but confined to its own database: new
connections are refused (ALLOW_CONNECTIONS false, as while a server starts) and every backend of
the database is killed, again and again for two seconds (as a restart kills them)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.config import Settings
from app.db import create_engine
from app.domain.clock import system_clock
from app.domain.tenants.service import NewTenant
from app.main import create_app
from tests.conftest import (
    POSTGRES_URL,
    TEST_SECRET_KEY,
    drop_postgres_database,
    fresh_postgres_database,
    make_tenant,
)
from tests.system.test_migration_steps import Database

pytestmark = pytest.mark.postgres_only
OUTAGE_SECONDS = 2.0


@pytest.fixture
def migrated_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    request.getfixturevalue("postgres_url")  # skips or fails when PostgreSQL is missing
    url = fresh_postgres_database("leadheat_outage")
    Database(url, tmp_path / "var").migrate("upgrade", "head")
    yield url
    drop_postgres_database(url)


async def _agency(url: str) -> NewTenant:
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            return await make_tenant(session, system_clock)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def _outage(database: str, seconds: float) -> int:
    """Refuse new connections to `database` and kill its backends for `seconds`; then allow."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    killed = 0
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
            try:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    result = await conn.execute(
                        sa.text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"
                        ),
                        {"db": database},
                    )
                    killed += int(result.scalar() or 0)
                    await asyncio.sleep(0.02)
            finally:
                await conn.execute(sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
    finally:
        await engine.dispose()
    return killed


async def _stored_keys(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT idempotency_key FROM lead_event"))
            return {key for (key,) in rows if key}
    finally:
        await engine.dispose()


def test_postgres_going_away_under_load(migrated_url: str, tmp_path: Path):
    created = asyncio.run(_agency(migrated_url))
    settings = Settings(
        database_url=migrated_url,
        var_dir=tmp_path,
        bot_polling=False,
        sweep_interval_seconds=60,
        secret_key=TEST_SECRET_KEY,
    )
    auth = {"Authorization": f"Bearer {created.api_token}"}
    api = f"/api/tenants/{created.tenant.id}"
    acknowledged: list[str] = []
    statuses: Counter[int] = Counter()
    ready_during: Counter[int] = Counter()

    with TestClient(create_app(settings)) as client:
        lead = client.post(f"{api}/leads", headers=auth, json={"name": "Ahmad"})
        assert lead.status_code == 201, lead.text
        events = f"{api}/leads/{lead.json()['id']}/events"

        def post_event() -> int:
            key = f"crm-{uuid.uuid4().hex}"
            response = client.post(
                events, headers=auth, json={"type": "message", "idempotency_key": key, "payload": {}}
            )
            assert response.status_code in (201, 503), (response.status_code, response.text)
            if response.status_code == 201:
                acknowledged.append(key)
            statuses[response.status_code] += 1
            return response.status_code

        for _ in range(10):
            assert post_event() == 201  # healthy before

        outage = threading.Thread(
            target=lambda: asyncio.run(_outage(make_url(migrated_url).database or "", OUTAGE_SECONDS))
        )
        outage.start()
        try:
            while outage.is_alive():  # load the whole time it is down
                post_event()
                ready_during[client.get("/ready").status_code] += 1
        finally:
            outage.join()  # connections allowed again, whatever happened here

        recovered_at = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if post_event() == 201:
                recovered_at = time.monotonic()
                break
        assert recovered_at is not None, f"no 201 within 15 s after the outage: {statuses}"
        for _ in range(10):
            assert post_event() == 201  # and it stays up
        assert client.get("/ready").status_code == 200

    assert statuses[503] > 0, f"the outage was never noticed: {statuses}"
    assert ready_during[503] > 0 and set(ready_during) <= {200, 503}, ready_during
    stored = asyncio.run(_stored_keys(migrated_url))
    assert set(acknowledged) <= stored, f"{len(set(acknowledged) - stored)} acknowledged events lost"
