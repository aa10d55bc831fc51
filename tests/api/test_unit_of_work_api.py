"""One unit of work per request: one commit at the end, nothing half-written, reads that never
write, and no commit anywhere else in the code."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.leads.models import Lead, LeadEvent
from tests.api.conftest import Api, error_of

ROOT = Path(__file__).resolve().parents[2]
# The only code that ends transactions: the units of work of a request, an update, a task.
UNIT_OF_WORK_CODE = {"app/db.py", "app/web/unit_of_work.py"}
ENDS_A_TRANSACTION = re.compile(r"\.(commit|rollback)\(\)")


def test_nothing_but_the_units_of_work_commits_or_rolls_back():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "app").rglob("*.py"))
        if str(path.relative_to(ROOT)) not in UNIT_OF_WORK_CODE
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ENDS_A_TRANSACTION.search(line)
    ]
    assert offenders == []


async def test_a_commit_that_fails_is_a_503_and_nothing_is_saved(
    api: Api, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
):
    lead = await api.create_lead(name="Kept")

    async def failing_commit(self: AsyncSession) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("the disk is full"))

    monkeypatch.setattr(AsyncSession, "commit", failing_commit)
    response = await api.post(f"/leads/{lead['id']}/events", json={"type": "message"})
    monkeypatch.undo()
    body = error_of(response, 503)
    assert "nothing was changed" in body["error"]
    events = await session.scalar(
        sa.select(sa.func.count()).select_from(LeadEvent).where(LeadEvent.type == "message")
    )
    assert events == 0
    assert (await api.lead(lead["id"]))["messages_count"] == 0


async def test_bad_input_changes_no_field(api: Api, session: AsyncSession):
    before = await session.scalar(sa.select(sa.func.count()).select_from(Lead))
    response = await api.post("/leads", json={"name": "Half", "external_id": "same"})
    assert response.status_code == 201
    # A profile update whose second field is invalid changes none of the fields.
    bad = await api.patch(f"/leads/{response.json()['id']}", json={"name": "Changed", "phone": "12"})
    error_of(bad, 422, "phone")
    assert (await api.lead(response.json()["id"]))["name"] == "Half"
    assert await session.scalar(sa.select(sa.func.count()).select_from(Lead)) == before + 1


async def test_reading_never_writes(api: Api, session: AsyncSession):
    lead = await api.create_lead(name="Quiet")
    await api.event(lead["id"], "message")  # 21: 1 + 20 recency, until an hour passes
    stored = await session.scalar(sa.select(Lead.updated_at).where(Lead.id == lead["id"]))
    api.clock.now += timedelta(hours=2)
    assert (await api.lead(lead["id"]))["lead_score"] == 16  # the reader sees the live score
    listed = (await api.get("/leads")).json()
    assert [x["lead_score"] for x in listed] == [16]
    row = (
        await session.execute(sa.select(Lead.lead_score, Lead.updated_at).where(Lead.id == lead["id"]))
    ).one()
    assert (row.lead_score, row.updated_at) == (21, stored)  # nothing was written by reading
    assert await api.sweep() == 1  # the sweep brings the stored score (and the order) up to date
    assert await session.scalar(sa.select(Lead.lead_score).where(Lead.id == lead["id"])) == 16


async def test_on_sqlite_a_read_takes_no_write_lock(api: Api, backend: str, database_url: str):
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    lead = await api.create_lead(name="Reader")
    writer = sqlite3.connect(database_url.split("///", 1)[1], timeout=0.1, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        started = time.monotonic()
        responses = await asyncio.gather(api.get("/leads"), api.get(f"/leads/{lead['id']}"))
        assert [r.status_code for r in responses] == [200, 200]
        assert time.monotonic() - started < 5  # no wait for the lock (its timeout is 30 s)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
