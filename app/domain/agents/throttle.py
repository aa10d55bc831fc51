"""Slowing down password guessing, with counters in the database (shared by every process).

Two counters per login attempt:
- the account (the email typed): after ACCOUNT_FREE_FAILURES failures in a row, each further
  failure blocks the account for twice as long as the one before, up to ACCOUNT_MAX_DELAY.
  The delay never grows past that, and a success or ACCOUNT_FORGET_AFTER without failures
  starts over; a browser the owner logged in with before has a counter of its own
  (app/web/known_devices.py), so guessing from elsewhere never locks the owner out;
- the client address: at most CLIENT_MAX_FAILURES failures per CLIENT_WINDOW, whatever the
  emails, so one client cannot spread its guesses over many accounts.

An attempt is counted as a failure *before* the password is checked (and taken back when it
was right): parallel guesses cannot all slip in before the first failure is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import unit_of_work
from app.domain.agents.models import LoginAttemptCounter
from app.domain.clock import Clock

ACCOUNT_FREE_FAILURES = 5
ACCOUNT_FIRST_DELAY = timedelta(seconds=30)
ACCOUNT_MAX_DELAY = timedelta(minutes=15)
ACCOUNT_FORGET_AFTER = timedelta(hours=24)
CLIENT_MAX_FAILURES = 30
CLIENT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class AttemptKeys:
    account: str
    client: str

    @classmethod
    def of(cls, email: str, client: str, known_device: str | None = None) -> AttemptKeys:
        """A browser that logged in to this account before counts apart from everyone else."""
        account = f"device:{known_device}:{email}" if known_device else f"account:{email}"
        return cls(account=account, client=f"client:{client}")


def account_delay(failures: int) -> timedelta | None:
    """How long an account is blocked after this many failures in a row (None: not blocked)."""
    if failures < ACCOUNT_FREE_FAILURES:
        return None
    doublings = min(failures - ACCOUNT_FREE_FAILURES, 16)
    return min(ACCOUNT_FIRST_DELAY * 2**doublings, ACCOUNT_MAX_DELAY)


class LoginAttempts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _lock(self, keys: Sequence[str], now: datetime) -> dict[str, LoginAttemptCounter]:
        """The counters of these keys, created when missing, locked until the transaction ends."""
        dialect = self.session.bind.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await self.session.execute(
            insert(LoginAttemptCounter)
            .values(
                [
                    {"key": key, "failures": 0, "window_started_at": now, "last_failure_at": now}
                    for key in keys
                ]
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        rows = await self.session.scalars(
            sa.select(LoginAttemptCounter)
            .where(LoginAttemptCounter.key.in_(keys))
            .order_by(LoginAttemptCounter.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.key: row for row in rows}

    async def claim(self, keys: AttemptKeys, now: datetime) -> datetime | None:
        """Count one attempt; or, when the client or the account is blocked, the time it ends."""
        # The client first (always in this order, so two claims never wait on each other): a
        # blocked client adds no counter for yet another email it tries.
        client = (await self._lock([keys.client], now))[keys.client]
        if now - client.window_started_at >= CLIENT_WINDOW:
            client.failures, client.window_started_at, client.blocked_until = 0, now, None
        if client.blocked_until and client.blocked_until > now:
            return client.blocked_until
        account = (await self._lock([keys.account], now))[keys.account]
        if now - account.last_failure_at > ACCOUNT_FORGET_AFTER:
            account.failures, account.blocked_until = 0, None
        if account.blocked_until and account.blocked_until > now:
            return account.blocked_until
        account.failures += 1
        account.last_failure_at = now
        delay = account_delay(account.failures)
        account.blocked_until = now + delay if delay else None
        client.failures += 1
        client.last_failure_at = now
        if client.failures >= CLIENT_MAX_FAILURES:
            client.blocked_until = client.window_started_at + CLIENT_WINDOW
        await self.session.flush()
        return None

    async def succeeded(self, keys: AttemptKeys, now: datetime) -> None:
        """The claimed attempt was right: the account starts over, the client's count is taken back."""
        client = (await self._lock([keys.client], now))[keys.client]
        account = (await self._lock([keys.account], now))[keys.account]
        account.failures, account.blocked_until = 0, None
        client.failures = max(0, client.failures - 1)
        if client.failures < CLIENT_MAX_FAILURES:
            client.blocked_until = None
        await self.session.flush()

    async def forget_old(self, now: datetime) -> int:
        """Delete counters that no longer block or count anything."""
        result = await self.session.execute(
            sa.delete(LoginAttemptCounter).where(
                LoginAttemptCounter.last_failure_at < now - ACCOUNT_FORGET_AFTER,
                sa.or_(LoginAttemptCounter.blocked_until.is_(None), LoginAttemptCounter.blocked_until <= now),
            )
        )
        return result.rowcount or 0


class LoginThrottle:
    """The counters as the login uses them: each step is its own unit of work, committed at
    once, so a refused login (answered 401, its request rolled back) still counts, and other
    processes see the count before this one has checked the password."""

    def __init__(
        self, sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]], clock: Clock
    ) -> None:
        self.sessions = sessions
        self.clock = clock

    async def claim(self, keys: AttemptKeys) -> datetime | None:
        async with unit_of_work(self.sessions) as session:
            return await LoginAttempts(session).claim(keys, self.clock())

    async def succeeded(self, keys: AttemptKeys) -> None:
        async with unit_of_work(self.sessions) as session:
            await LoginAttempts(session).succeeded(keys, self.clock())
