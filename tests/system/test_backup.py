"""`litestar leadheat backup OUT`: a consistent copy of the embedded database while the app writes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.cli import leadheat
from app.config import Settings
from app.db import create_engine
from app.domain.base import Base
from app.domain.clock import FrozenClock
from app.domain.leads.service import LeadService
from app.domain.tenants.service import NewTenant
from app.main import create_app
from tests.conftest import T0, make_tenant


def run_backup(monkeypatch: pytest.MonkeyPatch, settings: Settings, out: Path):  # noqa: ANN201
    monkeypatch.setattr("app.cli.get_settings", lambda: settings)
    return CliRunner().invoke(leadheat, ["backup", str(out)])


async def _agency_with_a_lead(url: str) -> tuple[NewTenant, uuid.UUID]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            created = await make_tenant(session, FrozenClock(T0))
            lead = await LeadService(session, FrozenClock(T0)).create(created.tenant.id, {"name": "Ahmad"})
            await session.commit()
        return created, lead.lead.id
    finally:
        await engine.dispose()


def test_backup_while_events_arrive_is_consistent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'leadheat.db'}",
        var_dir=tmp_path,
        sweep_interval_seconds=60,
        bot_polling=False,
    )
    created, lead_id = asyncio.run(_agency_with_a_lead(settings.database_url))
    out = tmp_path / "copy.db"
    acknowledged = 0
    progress = threading.Condition()
    stop = threading.Event()
    auth = {"Authorization": f"Bearer {created.api_token}"}
    path = f"/api/tenants/{created.tenant.id}/leads/{lead_id}/events"

    def keep_writing(client: TestClient) -> None:
        nonlocal acknowledged
        while not stop.is_set():
            response = client.post(path, headers=auth, json={"type": "message", "payload": {"text": "hi"}})
            assert response.status_code == 201, response.text
            with progress:
                acknowledged += 1
                progress.notify_all()

    def written(count: int) -> None:
        with progress:
            assert progress.wait_for(lambda: acknowledged >= count, timeout=60), "the app stopped writing"

    with TestClient(create_app(settings, clock=FrozenClock(T0))) as client:
        writer = threading.Thread(target=keep_writing, args=(client,), daemon=True)
        writer.start()
        written(20)
        before = acknowledged
        result = run_backup(monkeypatch, settings, out)
        after_backup = acknowledged
        written(after_backup + 5)  # the app carried on writing after the copy
        stop.set()
        writer.join(timeout=30)

    assert result.exit_code == 0, result.output
    assert f"backed up to {out}" in result.output
    assert out.stat().st_mode & 0o077 == 0
    copy = sqlite3.connect(out)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        events = copy.execute("SELECT count(*) FROM lead_event WHERE type = 'message'").fetchone()[0]
        counted = copy.execute("SELECT messages_count FROM lead").fetchone()[0]
    finally:
        copy.close()
    # One moment of the database: every event acknowledged before the copy began, none lost
    # between tables (the lead's counter matches its events), nothing from after it ended.
    assert before <= events <= after_backup + 1
    assert counted == events


def test_backup_on_postgres_says_to_use_pg_dump(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    url = "postgresql+asyncpg://leadheat:s3cret@db:5432/leadheat"
    settings = Settings(database_url=url, var_dir=tmp_path)
    result = run_backup(monkeypatch, settings, tmp_path / "copy.db")
    assert result.exit_code != 0
    assert "pg_dump" in result.output
    assert "postgresql://leadheat:***@db:5432/leadheat" in result.output
    assert "s3cret" not in result.output
    assert not (tmp_path / "copy.db").exists()
