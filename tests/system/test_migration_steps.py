"""Every migration step, up and down, on a database that holds tenants, leads and events.

Generic over the script directory: a migration added later is walked too. Rows are written at
the first revision that has the three tables (plain SQL for that schema), then again at every
revision on the way up (a copy of those rows, with whatever columns that revision has), and all
of them must survive each later step up and each step down.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from advanced_alchemy.alembic.commands import AlembicCommands
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db import MIGRATIONS, build_db_config, create_engine

DATA_TABLES = ("tenant", "lead", "lead_event")
WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def linear_revisions() -> list[str]:
    """The revisions from the first to the head (one line of history)."""
    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1, f"migrations have several heads: {script.get_heads()}"
    return [r.revision for r in reversed(list(script.walk_revisions()))]


class Database:
    """Alembic steps and plain SQL on one database; an engine per call (Alembic's env.py runs
    its own event loop each time, so nothing is pooled across loops)."""

    def __init__(self, url: str, var_dir: Path) -> None:
        self.url = url
        self.settings = Settings(database_url=url, var_dir=var_dir)

    def migrate(self, direction: str, revision: str) -> None:
        config = build_db_config(self.settings)
        config.connection_string = None
        config.engine_instance = create_engine(self.url, poolclass=NullPool)
        commands = AlembicCommands(sqlalchemy_config=config)
        getattr(commands, direction)(revision=revision)

    def run(self, work):  # noqa: ANN001, ANN201 - a coroutine function of a connection
        async def main():  # noqa: ANN202
            engine = create_engine(self.url, poolclass=NullPool)
            try:
                async with engine.begin() as conn:
                    return await work(conn)
            finally:
                await engine.dispose()

        return asyncio.run(main())

    def tables(self) -> set[str]:
        async def work(conn):  # noqa: ANN001, ANN202
            return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))

        return self.run(work)


async def write_first_rows(conn: AsyncConnection) -> dict[str, uuid.UUID]:
    """A tenant, a lead and an event, as the initial schema stores them."""
    ids = {"tenant": uuid.uuid4(), "lead": uuid.uuid4(), "lead_event": uuid.uuid4()}
    stamps = {"created_at": WHEN, "updated_at": WHEN}
    tenant = sa.table(
        "tenant",
        sa.column("id", GUID()),
        sa.column("name"),
        sa.column("currency"),
        sa.column("phone_region"),
        sa.column("time_zone"),
        sa.column("areas", JsonB),
        sa.column("created_at", DateTimeUTC()),
        sa.column("updated_at", DateTimeUTC()),
    )
    lead = sa.table(
        "lead",
        sa.column("id", GUID()),
        sa.column("tenant_id", GUID()),
        sa.column("name"),
        sa.column("phone"),
        sa.column("status"),
        sa.column("notes"),
        sa.column("qr_scan_count"),
        sa.column("catalog_views"),
        sa.column("messages_count"),
        sa.column("voice_messages_count"),
        sa.column("last_interaction_at", DateTimeUTC()),
        sa.column("lead_score"),
        sa.column("temperature"),
        sa.column("created_at", DateTimeUTC()),
        sa.column("updated_at", DateTimeUTC()),
    )
    event = sa.table(
        "lead_event",
        sa.column("id", GUID()),
        sa.column("tenant_id", GUID()),
        sa.column("lead_id", GUID()),
        sa.column("type"),
        sa.column("occurred_at", DateTimeUTC()),
        sa.column("received_at", DateTimeUTC()),
        sa.column("source"),
        sa.column("payload", JsonB),
        sa.column("idempotency_key"),
        sa.column("score_before"),
        sa.column("score_after"),
        sa.column("temperature_after"),
        sa.column("breakdown", JsonB),
        sa.column("created_at", DateTimeUTC()),
        sa.column("updated_at", DateTimeUTC()),
    )
    await conn.execute(
        sa.insert(tenant).values(
            id=ids["tenant"],
            name="Acme Realty",
            currency="AED",
            phone_region="AE",
            time_zone="Asia/Dubai",
            areas=["Dubai Marina"],
            **stamps,
        )
    )
    await conn.execute(
        sa.insert(lead).values(
            id=ids["lead"],
            tenant_id=ids["tenant"],
            name="Ahmad",
            phone="+971501234567",
            status="new",
            notes="",
            qr_scan_count=0,
            catalog_views=0,
            messages_count=1,
            voice_messages_count=0,
            last_interaction_at=WHEN,
            lead_score=21,
            temperature="cold",
            **stamps,
        )
    )
    await conn.execute(
        sa.insert(event).values(
            id=ids["lead_event"],
            tenant_id=ids["tenant"],
            lead_id=ids["lead"],
            type="message",
            occurred_at=WHEN,
            received_at=WHEN,
            source="api",
            payload={"text": "Hello"},
            idempotency_key="crm-msg-1",
            score_before=0,
            score_after=21,
            temperature_after="cold",
            breakdown={},
            **stamps,
        )
    )
    return ids


async def copy_rows(conn: AsyncConnection, source: dict[str, uuid.UUID]) -> dict[str, uuid.UUID]:
    """Copy a tenant, its lead and the lead's event under new ids, with every column the current
    revision has: rows written at this revision, as this revision's app would have them."""
    ids = {table: uuid.uuid4() for table in DATA_TABLES}
    new_values = {
        "tenant": {"id": ids["tenant"]},
        "lead": {"id": ids["lead"], "tenant_id": ids["tenant"]},
        "lead_event": {"id": ids["lead_event"], "tenant_id": ids["tenant"], "lead_id": ids["lead"]},
    }
    for table in DATA_TABLES:
        reflected = await conn.run_sync(lambda sync, t=table: sa.inspect(sync).get_columns(t))
        columns = [c["name"] for c in reflected]
        replaced = new_values[table]
        selected = ", ".join(f":{c}" if c in replaced else f'"{c}"' for c in columns)
        statement = sa.text(
            f'INSERT INTO "{table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
            f'SELECT {selected} FROM "{table}" WHERE id = :source'
        ).bindparams(
            *(sa.bindparam(c, type_=GUID()) for c in replaced), sa.bindparam("source", type_=GUID())
        )
        result = await conn.execute(statement, {**replaced, "source": source[table]})
        assert result.rowcount == 1
    return ids


async def surviving(conn: AsyncConnection, written: list[dict[str, uuid.UUID]]) -> list[str]:
    """What is missing or changed of the rows written so far (empty: all there)."""
    by_id = sa.bindparam("id", type_=GUID())
    problems = []
    for ids in written:
        name = (
            await conn.execute(
                sa.text('SELECT name FROM "lead" WHERE id = :id').bindparams(by_id),
                {"id": ids["lead"]},
            )
        ).scalar()
        if name != "Ahmad":
            problems.append(f"lead {ids['lead']}: {name!r}")
        for table in ("tenant", "lead_event"):
            found = (
                await conn.execute(
                    sa.text(f'SELECT count(*) FROM "{table}" WHERE id = :id').bindparams(by_id),
                    {"id": ids[table]},
                )
            ).scalar()
            if found != 1:
                problems.append(f"{table} {ids[table]} missing")
    return problems


@pytest.fixture
def database(empty_database_url: str, tmp_path: Path) -> Iterator[Database]:
    yield Database(empty_database_url, tmp_path / "var")


def test_every_step_up_and_down_keeps_tenants_leads_and_events(database: Database):
    revisions = linear_revisions()
    # Up to the first revision that has the tables, and write the first rows there.
    start = 0
    while True:
        database.migrate("upgrade", revisions[start])
        if set(DATA_TABLES) <= database.tables():
            break
        start += 1
        assert start < len(revisions), f"no migration creates {DATA_TABLES}"
    first = database.run(write_first_rows)
    written = [first]

    for revision in revisions[start + 1 :]:
        database.migrate("upgrade", revision)
        assert database.run(lambda conn: surviving(conn, written)) == [], f"after upgrade to {revision}"
        written.append(database.run(lambda conn: copy_rows(conn, first)))

    for revision in reversed(revisions[start:-1]):
        database.migrate("downgrade", revision)
        assert database.run(lambda conn: surviving(conn, written)) == [], f"after downgrade to {revision}"

    database.migrate("downgrade", "base")
    assert not set(DATA_TABLES) & database.tables()
