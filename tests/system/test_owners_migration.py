"""The owners/speed-to-lead/outcomes migration on a database that already holds tenants, leads
and events: it upgrades, fills the milestones from the events, and downgrades again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.db import create_engine
from tests.system.conftest import litestar

BEFORE = "a18d2f2be7f5"
T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def _run(url: str, *statements: tuple[str, dict]) -> list[list[tuple]]:
    engine = create_engine(url)
    results = []
    try:
        async with engine.begin() as conn:
            for sql, params in statements:
                result = await conn.execute(sa.text(sql), params)
                results.append(list(result.all()) if result.returns_rows else [])
    finally:
        await engine.dispose()
    return results


def _lead(tenant: str, name: str, temperature: str, status: str) -> tuple[str, dict]:
    return (
        "INSERT INTO lead (id, tenant_id, name, status, notes, qr_scan_count, catalog_views, messages_count, "
        "voice_messages_count, lead_score, temperature, created_at, updated_at) VALUES "
        "(:id, :tenant, :name, :status, '', 0, 0, 0, 0, 0, :temperature, :t, :updated)",
        {"id": str(uuid.uuid4()), "tenant": tenant, "name": name, "status": status,
         "temperature": temperature,
         "t": T, "updated": T + timedelta(hours=2)},
    )  # fmt: skip


def _event(tenant: str, lead: str, temperature: str, minutes: int) -> tuple[str, dict]:
    at = T + timedelta(minutes=minutes)
    return (
        "INSERT INTO lead_event (id, tenant_id, lead_id, type, occurred_at, received_at, source, payload, "
        "score_before, score_after, temperature_after, breakdown, created_at, updated_at) VALUES "
        "(:id, :tenant, :lead, 'qr_scan', :at, :at, 'api', '{}', 0, 0, :temperature, '{}', :at, :at)",
        {"id": str(uuid.uuid4()), "tenant": tenant, "lead": lead, "temperature": temperature, "at": at},
    )


def test_upgrade_fills_milestones_from_events_then_downgrades(empty_database_url: str):
    url = empty_database_url
    litestar(url, "database", "upgrade", "--no-prompt", BEFORE)
    tenant = str(uuid.uuid4())
    cooled = _lead(tenant, "Cooled", "warm", "contacted")
    never = _lead(tenant, "Never hot", "cold", "new")
    cooled_id, never_id = cooled[1]["id"], never[1]["id"]
    asyncio.run(
        _run(
            url,
            (
                "INSERT INTO tenant (id, name, currency, phone_region, time_zone, areas, bot_status, "
                "created_at, "
                "updated_at) VALUES (:id, 'Old Agency', 'AED', 'AE', 'Asia/Dubai', '[]', 'none', :t, :t)",
                {"id": tenant, "t": T},
            ),
            cooled,
            never,
            _event(tenant, cooled_id, "warm", 1),
            _event(tenant, cooled_id, "hot", 5),
            _event(tenant, cooled_id, "burning", 9),
            _event(tenant, cooled_id, "warm", 60),
            _event(tenant, never_id, "cold", 3),
        )  # fmt: skip
    )

    litestar(url, "database", "upgrade", "--no-prompt")
    [rows] = asyncio.run(
        _run(
            url,
            (
                "SELECT name, hot_at, peak_temperature, first_contacted_at, contacted_temperature, "
                "assigned_agent_id, outcome_reason FROM lead ORDER BY name",
                {},
            ),
        )  # fmt: skip
    )
    by_name = {row[0]: row[1:] for row in rows}
    hot_at, peak, contacted_at, contacted_band, owner, reason = by_name["Cooled"]
    assert _aware(hot_at) == T + timedelta(minutes=5) and peak == "burning"
    assert _aware(contacted_at) == T + timedelta(hours=2) and contacted_band == "warm"
    assert (owner, reason) == (None, None)
    assert by_name["Never hot"] == (None, "cold", None, None, None, None)

    litestar(url, "database", "downgrade", "--no-prompt", BEFORE)
    [names, events] = asyncio.run(
        _run(url, ("SELECT name FROM lead ORDER BY name", {}), ("SELECT count(*) FROM lead_event", {}))
    )
    # The data survives both ways (SQLite rebuilds the table: its events must not cascade away).
    assert [n for (n,) in names] == ["Cooled", "Never hot"] and events == [(5,)]


def _aware(value: object) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
