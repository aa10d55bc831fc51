"""The scopes migration on a database holding agencies, leads and events, and `create-token`."""

from __future__ import annotations

import asyncio
import json

import sqlalchemy as sa

from app.db import create_engine
from tests.system.conftest import litestar

BEFORE_SCOPES = "a18d2f2be7f5"


async def _rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(sa.text(sql))]
    finally:
        await engine.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    return asyncio.run(_rows(url, sql))


def test_down_and_up_with_data_then_existing_tokens_are_admin_and_create_token(empty_database_url: str):
    url = empty_database_url
    litestar(url, "database", "upgrade", "--no-prompt")
    demo = litestar(url, "leadheat", "demo")
    tenant_id = next(line.split()[-1] for line in demo.stdout.splitlines() if "tenant id:" in line)
    counts = ", ".join(f"(SELECT count(*) FROM {table})" for table in ("lead", "lead_event", "api_token"))
    counts = f"SELECT {counts}"
    before = rows(url, counts)[0]
    assert all(before)

    litestar(url, "database", "downgrade", "--no-prompt", BEFORE_SCOPES)
    assert rows(url, counts)[0] == before  # nothing lost on the way down
    litestar(url, "database", "upgrade", "--no-prompt")
    assert rows(url, counts)[0] == before
    assert rows(url, "SELECT DISTINCT scope FROM api_token") == [("admin",)]
    assert rows(url, "SELECT DISTINCT api_rate_per_second, api_burst FROM tenant") == [(50, 100)]

    out = litestar(url, "leadheat", "create-token", "--tenant", tenant_id, "--scope", "read", "--json")
    issued = json.loads(out.stdout.strip().splitlines()[-1])
    assert issued["scope"] == "read" and issued["token"].startswith("lh_")
    assert ("read",) in rows(url, "SELECT scope FROM api_token")
    bad = litestar(url, "leadheat", "create-token", "--tenant", tenant_id, "--scope", "root", check=False)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    unknown = litestar(
        url,
        "leadheat",
        "create-token",
        "--tenant",
        "00000000-0000-0000-0000-000000000000",
        "--scope",
        "read",
        check=False,
    )
    assert unknown.returncode != 0 and "No such agency" in unknown.stdout + unknown.stderr
