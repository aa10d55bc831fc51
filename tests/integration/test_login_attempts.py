"""Login-attempt counters under concurrency: parallel guesses cannot slip past the limit."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.domain.agents.models import LoginAttemptCounter
from app.domain.agents.throttle import ACCOUNT_FREE_FAILURES, AttemptKeys, LoginAttempts, account_delay
from app.domain.clock import FrozenClock


def test_the_account_delay_doubles_up_to_its_cap():
    delays = [account_delay(n) for n in range(1, 30)]
    assert delays[: ACCOUNT_FREE_FAILURES - 1] == [None] * (ACCOUNT_FREE_FAILURES - 1)
    growing = delays[ACCOUNT_FREE_FAILURES - 1 :]
    assert all(b == min(a * 2, growing[-1]) for a, b in zip(growing, growing[1:], strict=False))
    assert growing[-1] == max(growing)


async def test_parallel_guesses_get_exactly_the_free_attempts(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
):
    keys = AttemptKeys.of("victim@example.com", "203.0.113.9")

    async def guess(i: int):
        async with unit_of_work(session_factory) as session:
            return await LoginAttempts(session).claim(
                AttemptKeys(keys.account, f"client:203.0.113.{i}"), clock()
            )

    results = await asyncio.gather(*(guess(i) for i in range(3 * ACCOUNT_FREE_FAILURES)))
    assert sum(result is None for result in results) == ACCOUNT_FREE_FAILURES


async def test_a_blocked_client_adds_no_counters_for_more_emails(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("app.domain.agents.throttle.CLIENT_MAX_FAILURES", 2)
    results = []
    for i in range(6):
        async with unit_of_work(session_factory) as session:
            results.append(
                await LoginAttempts(session).claim(AttemptKeys.of(f"u{i}@example.com", "1.2.3.4"), clock())
            )
    assert [r is None for r in results] == [True, True, False, False, False, False]
    async with session_factory() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(LoginAttemptCounter)) == 3
