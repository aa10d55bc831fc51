"""The database: advanced-alchemy's config, with SQLite set up as a real deployment target."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import msgspec
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.config import ROOT, Settings

# Import every model so the metadata (and so Alembic) knows all tables.
from app.domain.agents import models as _agents  # noqa: F401
from app.domain.agents import sessions as _sessions  # noqa: F401
from app.domain.base import Base
from app.domain.campaigns import models as _campaigns  # noqa: F401
from app.domain.catalogs import models as _catalogs  # noqa: F401
from app.domain.leads import models as _leads  # noqa: F401
from app.domain.tenants import models as _tenants  # noqa: F401
from app.domain.tokens import models as _tokens  # noqa: F401

MIGRATIONS = ROOT / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Whether the unit of work running in this context may write. On SQLite a writing transaction
# takes the write lock up front (BEGIN IMMEDIATE); a reading one must not, so readers never
# wait for writers (WAL) nor hold writers up. PostgreSQL needs no such hint.
_WRITES: ContextVar[bool] = ContextVar("leadheat_unit_of_work_writes", default=True)
# An engine option for an inspecting session (a console, a test's own session) on SQLite: no
# transaction spans its statements, so each one sees what others committed a moment ago and it
# never holds the write lock between them. Not for units of work: nothing is atomic there.
EACH_STATEMENT_COMMITS = "leadheat_each_statement_commits"


@contextmanager
def reads_only() -> Iterator[None]:
    """Transactions begun inside this block only read (a GET request, a live stream's card)."""
    token = _WRITES.set(False)
    try:
        yield
    finally:
        _WRITES.reset(token)


@contextmanager
def writing() -> Iterator[None]:
    """A unit of work begun inside this block writes, even within a reading request."""
    token = _WRITES.set(True)
    try:
        yield
    finally:
        _WRITES.reset(token)


def set_writes(writes: bool) -> None:
    """For the web unit of work, which decides per request method."""
    _WRITES.set(writes)


async def driver_connection(session: AsyncSession) -> Any:
    """PostgreSQL: the asyncpg connection under the session, inside the session's transaction,
    for the few statements that asyncpg runs best by itself (one-statement interactions, COPY).

    SQLAlchemy's asyncpg adapter begins its transaction lazily, at the first statement it runs
    itself; this begins it as the adapter would (sqlalchemy<2.1), so nothing here autocommits.
    """
    connection = await session.connection()
    adapted = (await connection.get_raw_connection()).dbapi_connection
    if not adapted._started:
        await adapted._start_transaction()
    return adapted._connection


@asynccontextmanager
async def unit_of_work(
    sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
) -> AsyncIterator[AsyncSession]:
    """One transaction for work outside a request or an update (the sweep, the CLI):
    committed when the block ends, rolled back when it raises."""
    async with sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


def _json_dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # msgspec encodes JSON columns (event payloads and breakdowns) several times faster than json.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", msgspec.json.decode)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, foreign keys, and write transactions that never deadlock.

    pysqlite's deferred BEGIN lets two transactions read and then both try to write, and
    one fails with "database is locked" without waiting. BEGIN IMMEDIATE takes the write
    lock up front, so a second writer waits (busy_timeout) instead of failing; a unit of work
    that only reads (`reads_only()`) begins a plain deferred transaction and takes no lock.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(EACH_STATEMENT_COMMITS, False):
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _WRITES.get() else "BEGIN")


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def build_db_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    engine_kwargs: dict[str, Any] = {}
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.database_url)
    else:
        engine_kwargs = {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_pre_ping": False,
        }
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        create_engine_callable=create_engine,
        engine_config=EngineConfig(**engine_kwargs),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        metadata=Base.metadata,
        alembic_config=AlembicAsyncConfig(
            script_config=str(ROOT / "alembic.ini"),
            script_location=str(MIGRATIONS),
            version_table_name="alembic_version",
        ),
    )
