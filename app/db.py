"""The database: advanced-alchemy's config, with SQLite set up as a real deployment target."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from app.config import PACKAGE, PRIVATE_FILE, Settings

# Import every model so the metadata (and so Alembic) knows all tables.
from app.domain.agents import models as _agents  # noqa: F401
from app.domain.agents import sessions as _sessions  # noqa: F401
from app.domain.base import Base
from app.domain.campaigns import models as _campaigns  # noqa: F401
from app.domain.catalogs import models as _catalogs  # noqa: F401
from app.domain.leads import models as _leads  # noqa: F401
from app.domain.outbox import models as _outbox  # noqa: F401
from app.domain.tenants import models as _tenants  # noqa: F401
from app.domain.tokens import models as _tokens  # noqa: F401
from app.domain.webhooks import models as _webhooks  # noqa: F401

MIGRATIONS = PACKAGE / "migrations"
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


_BEFORE_COMMIT = "leadheat.before_commit"
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]


def before_commit(session: AsyncSession, hook: BeforeCommit) -> None:
    """Run `hook(session)` once, inside the transaction, just before the unit of work commits
    (what the outbox uses to write its messages in the same transaction as the change)."""
    hooks = session.info.setdefault(_BEFORE_COMMIT, [])
    if hook not in hooks:
        hooks.append(hook)


async def commit(session: AsyncSession) -> None:
    """How every unit of work ends well: its before-commit hooks, then the commit."""
    while hooks := session.info.pop(_BEFORE_COMMIT, None):
        for hook in hooks:
            await hook(session)
    await session.commit()


@event.listens_for(Session, "after_transaction_end")
def _forget_hooks(session: Session, transaction: Any) -> None:
    # Only when the whole transaction ends: a savepoint rolled back keeps the rest's hooks.
    if transaction.parent is None:
        session.info.pop(_BEFORE_COMMIT, None)


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
        await commit(session)


# SQLSTATE classes of a database that is gone or going: 08 connection exception, 57 operator
# intervention (admin shutdown, crash shutdown, "cannot connect now" while starting).
_GONE_SQLSTATE_CLASSES = ("08", "57")
_GONE_ERRORS = (
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
    asyncpg.exceptions.InterfaceError,  # the connection closed under a statement
    ConnectionError,  # refused or reset at the network level
    TimeoutError,  # no answer to connect
)


def is_database_gone(exc: BaseException) -> bool:
    """Whether `exc` means the database is unreachable for now (retrying may succeed), rather
    than a fault of the request or the code. Looks through SQLAlchemy's wrapping, and through
    asyncpg's own errors (one-statement interactions use the driver connection directly)."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, _GONE_ERRORS):
            return True
        state = str(getattr(error, "sqlstate", "") or "")
        if state[:2] in _GONE_SQLSTATE_CLASSES:
            return True
        if state == "55000" and "not currently accepting connections" in str(error):
            return True  # a database closed to connections (ALLOW_CONNECTIONS false)
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


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


def _ensure_sqlite_file(url: str) -> None:
    """The database file exists and only its owner may read it (leads' phones and budgets):
    made here with mode 0600 rather than by SQLite with the umask's. Its -wal and -shm files
    take the same mode from it."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    path.chmod(PRIVATE_FILE)  # an older install's file, made before this rule


def build_db_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    engine_kwargs: dict[str, Any] = {}
    if settings.is_sqlite:
        _ensure_sqlite_file(settings.database_url)
    else:
        engine_kwargs = {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            # A connection the server dropped (a restart, a failover) is replaced when it is taken
            # from the pool, instead of failing the request that draws it.
            "pool_pre_ping": True,
        }
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        create_engine_callable=create_engine,
        engine_config=EngineConfig(**engine_kwargs),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        metadata=Base.metadata,
        alembic_config=AlembicAsyncConfig(
            script_config=str(PACKAGE / "alembic.ini"),
            script_location=str(MIGRATIONS),
            version_table_name="alembic_version",
        ),
    )
