"""`/forget`: after confirming, the lead and everything held about them is erased."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.bot.forget import ERASED_BY
from app.bot.manager import BotManager
from app.domain.clock import FrozenClock
from app.domain.leads.models import LeadErasure, LeadEvent
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.test_bot import AHMAD, SECRET, TOKEN_A, connect, eventually, lead_of

ASKED = "Do you want us to erase everything we hold about you"
ERASED = "Done: everything we held about you is erased."


@pytest.fixture
async def bots(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock, telegram: FakeTelegram
) -> AsyncIterator[BotManager]:
    manager = BotManager(
        session_factory, SECRET, clock, None, api_url=telegram.url, refresh_seconds=0.2, polling_timeout=1
    )
    task = asyncio.create_task(manager.run())
    yield manager
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def events_of(session: AsyncSession) -> int:
    count = await session.scalar(sa.select(sa.func.count()).select_from(LeadEvent))
    await session.commit()
    return int(count or 0)


async def test_forget_asks_first_then_erases_the_lead_and_its_events(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, bots: BotManager
):
    t = tenant.tenant.id
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)
    telegram.message(bot, AHMAD, text="/start")
    telegram.message(bot, AHMAD, text="my villa budget is 3M")
    telegram.message(bot, AHMAD, voice={"file_id": "voice-1", "file_unique_id": "v1", "duration": 7})
    await eventually(lambda: any("voice message" in x for x in bot.texts()))
    lead = await lead_of(session, t, AHMAD["id"])
    assert lead is not None and await events_of(session) >= 3  # created, start, message, voice

    telegram.message(bot, AHMAD, text="/forget")
    await eventually(lambda: any(ASKED in x for x in bot.texts()))
    telegram.tap(bot, AHMAD, "forget:0")  # "No, keep it"
    await eventually(lambda: "Nothing was erased." in str(bot.calls))
    assert await lead_of(session, t, AHMAD["id"]) is not None

    telegram.message(bot, AHMAD, text="/forget")
    telegram.tap(bot, AHMAD, "forget:1")
    await eventually(lambda: ERASED in str(bot.calls))
    assert await lead_of(session, t, AHMAD["id"]) is None
    assert await events_of(session) == 0
    [audit] = (await session.scalars(sa.select(LeadErasure))).all()
    assert (audit.lead_id, audit.erased_by) == (lead.id, ERASED_BY)

    # Talking again makes a new lead, from nothing.
    telegram.message(bot, AHMAD, text="/start")
    await eventually(lambda: lead_of(session, t, AHMAD["id"]))
    again = await lead_of(session, t, AHMAD["id"])
    assert again.id != lead.id and again.messages_count == 0


async def test_forget_from_a_stranger_creates_nothing_and_is_answered_in_their_language(
    session: AsyncSession, tenant, telegram: FakeTelegram, bots: BotManager
):
    t = tenant.tenant.id
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)
    stranger = {**AHMAD, "id": 6001, "language_code": "ru"}
    telegram.message(bot, stranger, text="/forget")
    await eventually(lambda: any("Вы хотите, чтобы мы удалили" in x for x in bot.texts()))
    assert "Да, удалите меня" in str(bot.sent()[-1]["reply_markup"])
    telegram.tap(bot, stranger, "forget:1")
    await eventually(lambda: "Мы ничего о вас не храним." in str(bot.calls))
    assert await lead_of(session, t, 6001) is None
    assert await events_of(session) == 0
