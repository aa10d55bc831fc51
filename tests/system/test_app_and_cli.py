"""The served app's probes and the operator commands, as an operator uses them."""

from __future__ import annotations

import json
import uuid

from litestar.testing import AsyncTestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET_KEY
from tests.system.conftest import litestar


async def test_ready_only_after_migrations(empty_database_url: str):
    app = create_app(
        Settings(database_url=empty_database_url, sweep_interval_seconds=60, secret_key=TEST_SECRET_KEY)
    )
    async with AsyncTestClient(app) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        not_ready = await client.get("/ready")
        assert not_ready.status_code == 503
        assert not_ready.json()["status"] == "unavailable"

    litestar(empty_database_url, "database", "upgrade", "--no-prompt")
    app = create_app(
        Settings(database_url=empty_database_url, sweep_interval_seconds=60, secret_key=TEST_SECRET_KEY)
    )
    async with AsyncTestClient(app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["migrations"] == "current"


def test_create_tenant_json_then_rescore(empty_database_url: str):
    litestar(empty_database_url, "database", "upgrade", "--no-prompt")
    out = litestar(
        empty_database_url,
        "leadheat",
        "create-tenant",
        "--name",
        "Palm Homes",
        "--admin-email",
        "owner@palmhomes.example",
        "--admin-password",
        "s3cret-enough",
        "--json",
    )
    created = json.loads(out.stdout.strip().splitlines()[-1])
    uuid.UUID(created["tenant_id"])
    assert created["api_token"].startswith("lh_")

    again = litestar(
        empty_database_url,
        "leadheat",
        "create-tenant",
        "--name",
        "Copy",
        "--admin-email",
        "owner@palmhomes.example",
        "--admin-password",
        "s3cret-enough",
        check=False,
    )
    assert again.returncode != 0
    assert "already exists" in again.stderr + again.stdout
    assert "Traceback" not in again.stderr

    rescored = litestar(empty_database_url, "leadheat", "rescore", "--tenant", created["tenant_id"])
    assert f"tenant {created['tenant_id']}: 0 lead scores changed" in rescored.stdout
    unknown = litestar(empty_database_url, "leadheat", "rescore", "--tenant", str(uuid.uuid4()), check=False)
    assert unknown.returncode != 0 and "No agency" in unknown.stderr + unknown.stdout


def test_demo_seeds_once_with_every_temperature(empty_database_url: str):
    litestar(empty_database_url, "database", "upgrade", "--no-prompt")
    first = litestar(empty_database_url, "leadheat", "demo")
    assert "(created now)" in first.stdout
    assert "demo@leadheat.local / leadheat-demo" in first.stdout
    token = next(line.split()[-1] for line in first.stdout.splitlines() if "API token:" in line)
    second = litestar(empty_database_url, "leadheat", "demo")
    assert "(created now)" not in second.stdout

    import asyncio

    import sqlalchemy as sa

    from app.db import create_engine

    async def counts() -> dict[str, int]:
        engine = create_engine(empty_database_url)
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT temperature, count(*) FROM lead GROUP BY temperature"))
            result = {t: n for t, n in rows}
        await engine.dispose()
        return result

    per_temperature = asyncio.run(counts())
    assert set(per_temperature) == {"burning", "hot", "warm", "cold"}
    assert sum(per_temperature.values()) == 60
    assert token.startswith("lh_")
