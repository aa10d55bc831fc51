"""Migrations through the real `litestar database ...` commands, on both databases."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from app.db import create_engine
from app.domain.base import Base
from app.web.health import migration_heads
from tests.system.conftest import litestar


async def _tables_and_version(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
            versions: set[str] = set()
            if "alembic_version" in tables:
                versions = set((await conn.scalars(sa.text("SELECT version_num FROM alembic_version"))).all())
            return tables, versions
    finally:
        await engine.dispose()


def test_upgrade_twice_then_downgrade_to_base(empty_database_url: str):
    litestar(empty_database_url, "database", "upgrade", "--no-prompt")
    tables, versions = asyncio.run(_tables_and_version(empty_database_url))
    assert set(Base.metadata.tables) <= tables
    assert versions == migration_heads()

    again = litestar(empty_database_url, "database", "upgrade", "--no-prompt")
    assert "Running upgrade" not in again.stdout + again.stderr
    assert asyncio.run(_tables_and_version(empty_database_url))[1] == migration_heads()

    litestar(empty_database_url, "database", "downgrade", "--no-prompt", "base")
    tables, versions = asyncio.run(_tables_and_version(empty_database_url))
    assert not set(Base.metadata.tables) & tables
    assert versions == set()


def test_migrated_schema_matches_the_models(empty_database_url: str):
    """Nothing in the models is missing from the migrations (autogenerate finds no change)."""
    litestar(empty_database_url, "database", "upgrade", "--no-prompt")
    result = litestar(empty_database_url, "database", "check", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
