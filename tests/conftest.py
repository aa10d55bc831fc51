"""Shared fixtures: a clean database per test on SQLite and on PostgreSQL, and a held clock.

Database tests run once per backend (`backend` is `sqlite` or `postgres`). PostgreSQL is
found at TEST_POSTGRES_URL (default: the local server); without it those tests skip,
unless REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfWriter
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import EACH_STATEMENT_COMMITS, create_engine
from app.domain.base import Base
from app.domain.clock import FrozenClock
from app.domain.tenants.service import NewTenant, TenantService

# Tests talk plain HTTP to the app, as a local run does (apps and served subprocesses read this).
os.environ.setdefault("SECURE_COOKIES", "false")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# Apps a test serves on PostgreSQL need a SECRET_KEY (only the embedded SQLite run makes its own).
TEST_SECRET_KEY = "test-secret-key-for-the-test-suite-only"


def a_pdf(attachment: int = 0) -> bytes:
    """A real one-page PDF (catalogs must parse); `attachment` bytes make it as large as needed."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if attachment:
        writer.add_attachment("floor-plans.bin", os.urandom(attachment))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _postgres_problem() -> str | None:
    async def probe() -> None:
        engine = create_engine(POSTGRES_URL)
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(probe())
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


async def _admin(sql: str) -> None:
    """Run a statement outside a transaction on the server's maintenance database."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


def fresh_postgres_database(prefix: str) -> str:
    """Create an empty database for this run and return its URL (dropped by the caller)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# Slow by where they live: real processes and servers (system), a browser (e2e), the fuzzer.
# `make test-fast` (-m "not slow") leaves them out; single slow tests elsewhere are marked.
SLOW_DIRECTORIES = frozenset({"system", "e2e", "fuzz"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent.name in SLOW_DIRECTORIES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own on the PostgreSQL server, with the schema, for the whole run."""
    problem = _postgres_problem()
    if problem:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {problem}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    url = fresh_postgres_database("leadheat_test")

    async def create_schema() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()

    asyncio.run(create_schema())
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite" and request.node.get_closest_marker("postgres_only"):
        pytest.skip("PostgreSQL only")
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path / 'leadheat.db'}"


@pytest.fixture
async def engine(database_url: str, backend: str) -> AsyncIterator[AsyncEngine]:
    kwargs = {"pool_size": 20, "max_overflow": 40} if backend == "postgres" else {}
    engine = create_engine(database_url, **kwargs)
    if backend == "sqlite":
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    yield engine
    if backend == "postgres":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """The test's own session. Services never commit, so a test commits what it sets up before
    the app may see it (on PostgreSQL, uncommitted rows stay invisible and locked). On SQLite
    each statement commits by itself, so a test reading what the app did a moment ago sees it
    and never holds the app's writes up."""
    inspector = engine.execution_options(**{EACH_STATEMENT_COMMITS: True})
    async with async_sessionmaker(inspector, expire_on_commit=False)() as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


async def make_tenant(session: AsyncSession, clock: FrozenClock, name: str = "Acme Realty") -> NewTenant:
    slug = uuid.uuid4().hex[:8]
    created = await TenantService(session, clock).create(
        name=name,
        admin_email=f"admin-{slug}@example.com",
        admin_password="correct horse battery",
        areas=["Dubai Marina", "Downtown Dubai"],
    )
    await session.commit()  # services never commit; the test is this work's unit of work
    return created


@pytest.fixture
async def tenant(session: AsyncSession, clock: FrozenClock) -> NewTenant:
    return await make_tenant(session, clock)
