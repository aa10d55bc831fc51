"""Several app processes on PostgreSQL: each agency's bot is polled by exactly one of them, and
another takes it over when that one dies."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.bot.claims import AdvisoryLocks
from app.bot.manager import BotManager
from app.domain.clock import FrozenClock
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.test_bot import AHMAD, SECRET, TOKEN_A, connect, eventually, lead_of

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]  # two app processes


def _manager(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, api_url: str, dsn: str
) -> BotManager:
    return BotManager(
        sessions, SECRET, clock, None, api_url=api_url, refresh_seconds=0.2, polling_timeout=1,
        claims=AdvisoryLocks(dsn),
    )  # fmt: skip


async def test_one_process_polls_a_bot_and_another_takes_over_when_it_dies(
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    tenant,
    telegram: FakeTelegram,
    database_url: str,
):
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, tenant.tenant.id, TOKEN_A)
    first, second = (_manager(session_factory, clock, telegram.url, dsn) for _ in range(2))
    first_task = asyncio.create_task(first.run())
    await eventually(lambda: tenant.tenant.id in first.running)
    second_task = asyncio.create_task(second.run())
    try:
        await asyncio.sleep(1.0)  # five refreshes of the second: it never starts the claimed bot
        assert tenant.tenant.id not in second.running

        first_task.cancel()  # the first process dies: its claims go with its connection
        with contextlib.suppress(asyncio.CancelledError):
            await first_task
        await eventually(lambda: tenant.tenant.id in second.running)
        telegram.message(bot, AHMAD, text="Still there?")
        await eventually(lambda: lead_of(session, tenant.tenant.id, AHMAD["id"]))
    finally:
        second_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await second_task
