"""Which process polls which agency's bot: exactly one at a time.

Telegram hands each update to one getUpdates caller, and two pollers of one bot fight over
them (409 Conflict). With several app processes on PostgreSQL, each bot is claimed with a
session-level advisory lock on a connection the process keeps for that purpose: the claim lasts
as long as the process (and its connection) lives, and when it dies PostgreSQL frees the lock
and another process claims the bot at its next refresh. SQLite is one process: every claim holds.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

import asyncpg
from sqlalchemy.engine import make_url

from app.config import Settings

log = logging.getLogger("leadheat.bot")
# The high 32 bits of every bot lock's key, so they never meet another application's locks.
_NAMESPACE = 0x4C480000


class BotClaims(Protocol):
    async def claim(self, tenant_id: uuid.UUID) -> bool: ...

    async def release(self, tenant_id: uuid.UUID) -> None: ...

    async def still_held(self) -> bool: ...

    async def close(self) -> None: ...


class OneProcess:
    """SQLite: the app is one process, so it polls every bot."""

    async def claim(self, tenant_id: uuid.UUID) -> bool:
        return True

    async def release(self, tenant_id: uuid.UUID) -> None:
        return None

    async def still_held(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def lock_key(tenant_id: uuid.UUID) -> tuple[int, int]:
    """(namespace, 32 random bits of the tenant's UUIDv7): two int4 keys of one advisory lock."""
    return _NAMESPACE, int.from_bytes(tenant_id.bytes[12:], "big", signed=True)


class AdvisoryLocks:
    """PostgreSQL: one advisory lock per bot, held on this process's own connection."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._connection: asyncpg.Connection | None = None
        self._held: set[uuid.UUID] = set()

    async def _conn(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            self._held.clear()
            self._connection = await asyncpg.connect(self.dsn)
        return self._connection

    async def claim(self, tenant_id: uuid.UUID) -> bool:
        if tenant_id in self._held:
            return True
        got = await (await self._conn()).fetchval("SELECT pg_try_advisory_lock($1, $2)", *lock_key(tenant_id))
        if got:
            self._held.add(tenant_id)
        return bool(got)

    async def release(self, tenant_id: uuid.UUID) -> None:
        if tenant_id in self._held and self._connection is not None and not self._connection.is_closed():
            await self._connection.fetchval("SELECT pg_advisory_unlock($1, $2)", *lock_key(tenant_id))
        self._held.discard(tenant_id)

    async def still_held(self) -> bool:
        """False once the lock connection broke: every claim is gone and others may poll now."""
        if self._connection is None:
            return True
        if self._connection.is_closed():
            return False
        try:
            await self._connection.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        self._connection = None
        self._held.clear()


def bot_claims(settings: Settings) -> BotClaims:
    if settings.is_sqlite:
        return OneProcess()
    dsn = make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return AdvisoryLocks(dsn)
