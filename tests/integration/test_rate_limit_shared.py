"""The per-token bucket is shared through the database: two processes (two limiters, each
with its own allowance) together admit no more than one would."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.domain.clock import FrozenClock
from app.domain.tokens.limits import RateLimiter, TokenLimits
from app.domain.tokens.service import TokenService
from tests.conftest import make_tenant

LIMITS = TokenLimits(per_second=50, burst=100)


async def admitted(
    sessions: async_sessionmaker[AsyncSession], limiter: RateLimiter, token_id, clock: FrozenClock
) -> bool:
    """One request as a process does it: its allowance, or a refill in a unit of work of its own."""
    local = limiter.admit_locally(token_id, LIMITS, clock().timestamp())
    if local is not None:
        return local.allowed
    async with unit_of_work(sessions) as session:
        return (await limiter.admit(session, token_id, LIMITS, clock())).allowed


async def test_two_processes_share_one_bucket(
    session: AsyncSession, session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
):
    tenant = await make_tenant(session, clock)
    token = await TokenService(session, clock).identify(tenant.api_token)
    assert token is not None
    first, second = RateLimiter(), RateLimiter()

    results = [
        await admitted(session_factory, (first, second)[i % 2], token.token_id, clock) for i in range(130)
    ]
    assert results.count(True) == 100  # the burst, between both, not 100 each
    assert results[-10:] == [False] * 10

    clock.now += timedelta(seconds=1)  # 50 more; what either process held unspent goes back
    later = [
        await admitted(session_factory, (first, second)[i % 3 == 0], token.token_id, clock) for i in range(80)
    ]
    assert later.count(True) == 50


async def test_unspent_allowance_goes_back_to_the_bucket(
    session: AsyncSession, session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
):
    tenant = await make_tenant(session, clock)
    token = await TokenService(session, clock).identify(tenant.api_token)
    assert token is not None
    idle, busy = RateLimiter(), RateLimiter()
    assert await admitted(session_factory, idle, token.token_id, clock)  # takes 5, spends 1
    clock.now += timedelta(seconds=2)  # the bucket is full again; idle's 4 are stale
    assert await admitted(session_factory, idle, token.token_id, clock)  # gives them back
    results = [await admitted(session_factory, busy, token.token_id, clock) for _ in range(120)]
    # 100 in the bucket, of which idle holds a fresh allowance of 5 (1 spent): busy gets 95.
    assert results.count(True) == 95
