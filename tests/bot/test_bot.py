"""The real aiogram polling loop against a fake Bot API server: leads, scores, isolation."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.bot.manager import MAX_RETRY_SECONDS, BotManager
from app.domain.bots.service import BotTokenService
from app.domain.campaigns.service import CampaignService
from app.domain.catalogs.service import CatalogService
from app.domain.clock import FrozenClock
from app.domain.leads.models import Lead, LeadEvent
from app.domain.leads.service import LeadService
from app.domain.tenants.models import Tenant
from tests.bot.fake_telegram import FakeTelegram
from tests.conftest import T0, a_pdf, make_tenant

SECRET = "test-secret-key"
TOKEN_A = "111111111:" + "A" * 35
TOKEN_B = "222222222:" + "B" * 35
AHMAD = {"id": 5001, "is_bot": False, "first_name": "Ahmad", "username": "ahmad_dxb", "language_code": "en"}


async def eventually(check: Callable[[], object], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def manager(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock, telegram: FakeTelegram
) -> AsyncIterator[BotManager]:
    bots = BotManager(
        session_factory, SECRET, clock, None, api_url=telegram.url, refresh_seconds=0.2, polling_timeout=1
    )
    task = asyncio.create_task(bots.run())
    yield bots
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def connect(session: AsyncSession, tenant_id, token: str) -> None:
    await BotTokenService(session, SECRET).set_token(tenant_id, token)
    await session.commit()


async def lead_of(session: AsyncSession, tenant_id, telegram_user_id: int) -> Lead | None:
    lead = await session.scalar(
        sa.select(Lead)
        .where(Lead.tenant_id == tenant_id, Lead.telegram_user_id == telegram_user_id)
        .execution_options(populate_existing=True)
    )
    await session.commit()
    return lead


async def test_expo_visitor_through_the_bot(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    """SCORING.md's expo timeline through the bot: QR deep link, catalog, "I'm interested in
    2BR", contact shared, buy, purpose, property type, area, budget, voice note: 67, hot."""
    t = tenant.tenant.id
    await CampaignService(session).create(t, "Cityscape hall A", "expo-a")
    await CatalogService(session).add(t, title="Marina brochure", filename="brochure.pdf", data=a_pdf())
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)

    telegram.message(bot, AHMAD, text="/start qr_expo-a")
    await eventually(lambda: lead_of(session, t, AHMAD["id"]))
    await eventually(lambda: any("Welcome" in x for x in bot.texts()))
    telegram.message(bot, AHMAD, text="📄 Catalog")
    telegram.message(bot, AHMAD, text="I'm interested in 2BR")
    telegram.message(
        bot, AHMAD, contact={"phone_number": "+971501234567", "first_name": "Ahmad", "user_id": AHMAD["id"]}
    )
    for data in [
        "q:transaction_type:buy",
        "q:purpose:investment",
        "q:property_type:apartment",
        "q:location:0",
        "q:budget:1",
    ]:
        telegram.tap(bot, AHMAD, data)
    telegram.message(bot, AHMAD, voice={"file_id": "voice-1", "file_unique_id": "v1", "duration": 7})

    async def finished() -> bool:
        lead = await lead_of(session, t, AHMAD["id"])
        return lead is not None and lead.voice_messages_count == 1 and lead.budget_max is not None

    await eventually(finished)
    lead = await lead_of(session, t, AHMAD["id"])
    assert (lead.qr_scan_count, lead.catalog_views, lead.messages_count, lead.voice_messages_count) == (
        1,
        1,
        2,
        1,
    )
    assert (lead.phone, lead.transaction_type.value, lead.property_type.value) == (
        "+971501234567",
        "buy",
        "apartment",
    )
    assert (lead.location, lead.budget_min, lead.budget_max) == ("Dubai Marina", 1_000_000, 2_500_000)
    # 1 scan x 3 + 1 view x 2 + 2 msgs + voice 5 = 12; phone, budget, buy, property, area = 35; recency 20
    assert (lead.lead_score, lead.temperature.value) == (67, "hot")
    scan = await session.scalar(sa.select(LeadEvent).where(LeadEvent.type == "qr_scan"))
    assert scan.payload == {"campaign": "expo-a", "known_campaign": True}
    voice = await session.scalar(sa.select(LeadEvent).where(LeadEvent.type == "voice_message"))
    assert voice.payload == {"file_id": "voice-1", "duration": 7}
    assert (await LeadService(session, clock).get(t, lead.id)).score.total == 67
    [upload] = bot.sent("sendDocument")
    assert upload["uploaded"] is True


async def test_catalog_is_uploaded_once_then_sent_by_file_id(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    t = tenant.tenant.id
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)
    telegram.message(bot, AHMAD, text="📄 Catalog")
    await eventually(lambda: any("updated" in x for x in bot.texts()))  # none yet: said so, not counted
    await CatalogService(session).add(t, title="Brochure", filename="b.pdf", data=a_pdf())
    await session.commit()
    telegram.message(bot, AHMAD, text="📄 Catalog")
    await eventually(lambda: len(bot.sent("sendDocument")) == 1)
    telegram.message(bot, {**AHMAD, "language_code": "ru"}, text="📄 Каталог")
    await eventually(lambda: len(bot.sent("sendDocument")) == 2)
    first, second = bot.sent("sendDocument")
    assert first["uploaded"] is True and second["uploaded"] is False

    async def views() -> int:
        lead = await lead_of(session, t, AHMAD["id"])
        return lead.catalog_views if lead else 0

    await eventually(lambda: _eq(views(), 2))


async def test_two_agencies_bots_keep_their_leads_apart_and_tokens_change_at_run_time(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    other = await make_tenant(session, clock, "Rival Realty")
    bot_a = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    bot_b = telegram.add_bot(TOKEN_B, "RivalBot")
    await connect(session, tenant.tenant.id, TOKEN_A)
    await connect(session, other.tenant.id, TOKEN_B)
    telegram.message(bot_a, AHMAD, text="Hello A")
    telegram.message(bot_b, {**AHMAD, "language_code": "ru"}, text="Hello B")
    await eventually(lambda: lead_of(session, tenant.tenant.id, AHMAD["id"]))
    await eventually(lambda: lead_of(session, other.tenant.id, AHMAD["id"]))
    await eventually(lambda: any("Спасибо" in x for x in bot_b.texts()))  # the reply follows the record
    assert (await lead_of(session, tenant.tenant.id, AHMAD["id"])).messages_count == 1
    assert (await lead_of(session, other.tenant.id, AHMAD["id"])).messages_count == 1

    await BotTokenService(session, SECRET).remove_token(other.tenant.id)
    await session.commit()
    await eventually(lambda: other.tenant.id not in manager.running)
    polls = telegram.polls[TOKEN_B]
    await asyncio.sleep(0.5)
    assert telegram.polls[TOKEN_B] == polls  # no longer polled
    assert tenant.tenant.id in manager.running


async def test_a_rejected_token_is_marked_and_does_not_stop_the_others(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    other = await make_tenant(session, clock, "Typo Realty")
    bot_a = telegram.add_bot(TOKEN_A, "MarinaHomesBot")  # TOKEN_B is unknown to Telegram
    await connect(session, tenant.tenant.id, TOKEN_A)
    await connect(session, other.tenant.id, TOKEN_B)

    async def status_of(tenant_id) -> str:
        row = await session.scalar(
            sa.select(Tenant.bot_status)
            .where(Tenant.id == tenant_id)
            .execution_options(populate_existing=True)
        )
        await session.commit()
        return row

    await eventually(lambda: _eq(status_of(other.tenant.id), "rejected"))
    await eventually(lambda: _eq(status_of(tenant.tenant.id), "working"))
    telegram.message(bot_a, AHMAD, text="still working")
    await eventually(lambda: lead_of(session, tenant.tenant.id, AHMAD["id"]))


async def _eq(value, expected) -> bool:
    return (await value) == expected


async def test_the_same_update_twice_counts_once_and_odd_updates_do_not_crash(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    t = tenant.tenant.id
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)
    telegram.message(bot, AHMAD, update_id=77, text="Hello")
    telegram.message(bot, AHMAD, update_id=77, text="Hello")  # delivered again
    telegram.message(bot, AHMAD, text="x" * 5000)
    telegram.message(
        bot,
        AHMAD,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
    telegram.message(
        bot, AHMAD, contact={"phone_number": "+971509999999", "first_name": "Someone", "user_id": 999}
    )
    telegram.tap(bot, AHMAD, "definitely-not-ours")
    telegram.message(bot, AHMAD, text="last")

    async def settled() -> bool:
        lead = await lead_of(session, t, AHMAD["id"])
        return lead is not None and lead.messages_count >= 3

    await eventually(settled)
    await asyncio.sleep(0.3)
    lead = await lead_of(session, t, AHMAD["id"])
    assert lead.messages_count == 3  # hello once, the long one, "last"; not the sticker or the contact
    assert lead.phone is None  # someone else's contact card is not the lead's phone
    texts = bot.texts()
    assert any("share your own contact" in x for x in texts)
    stored = await session.scalar(
        sa.select(LeadEvent.payload).where(LeadEvent.payload["text"].as_string().like("xxx%"))
    )
    assert len(stored["text"]) == 4096
    answered = [p for name, p in bot.calls if name == "answerCallbackQuery"]
    assert answered  # the unknown button got an answer, not a crash


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Welcome to"),
        ("fa", "خوش آمدید"),
        ("ar", "مرحبًا"),
        ("ru", "Добро пожаловать"),
        ("de", "Welcome to"),
    ],
)
async def test_replies_in_the_leads_language(
    session: AsyncSession,
    clock: FrozenClock,
    tenant,
    telegram: FakeTelegram,
    manager: BotManager,
    language,
    expected,
):
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, tenant.tenant.id, TOKEN_A)
    telegram.message(bot, {**AHMAD, "language_code": language}, text="/start")
    await eventually(lambda: any(expected in x for x in bot.texts()))
    lead = await lead_of(session, tenant.tenant.id, AHMAD["id"])
    assert lead.language == language
    assert lead.last_interaction_at is not None and lead.messages_count == 0  # /start is not a message
    clock.now += timedelta(minutes=1)


async def test_the_language_button_switches_every_reply_and_survives_a_restart(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    t = tenant.tenant.id
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)
    telegram.message(bot, AHMAD, text="/start")
    await eventually(lambda: "Are you looking to buy or to rent?" in bot.texts())
    telegram.message(bot, AHMAD, text="🌐 Language")
    await eventually(lambda: "Choose your language:" in bot.texts())
    telegram.tap(bot, AHMAD, "lang:fa")
    await eventually(lambda: "فارسی" in bot.texts())
    switched = bot.sent()[-1]
    assert "📄 کاتالوگ" in str(switched["reply_markup"])  # the menu is redrawn in Persian
    telegram.tap(bot, AHMAD, "q:transaction_type:rent")
    await eventually(lambda: "برای سکونت، سرمایه‌گذاری یا اقامت؟" in bot.texts())
    telegram.tap(bot, AHMAD, "skip:purpose")
    telegram.tap(bot, AHMAD, "skip:property_type")
    telegram.tap(bot, AHMAD, "skip:location")
    await eventually(lambda: "بودجهٔ شما چقدر است؟" in bot.texts())
    [budget_question] = [p for name, p in bot.calls if p.get("text") == "بودجهٔ شما چقدر است؟"]
    assert "تا AED 80K" in str(budget_question["reply_markup"])  # a renter's ranges, in Persian
    assert (await lead_of(session, t, AHMAD["id"])).language == "fa"

    await manager.stop_all()  # a restart: the FSM data in memory is gone, the lead's pick is not
    await eventually(lambda: t in manager.running)
    telegram.message(bot, AHMAD, text="سلام")
    await eventually(lambda: "سپاس از پیام شما! مشاور ما به‌زودی آن را می‌خواند." in bot.texts())
    telegram.message(bot, AHMAD, text="📄 Catalog")  # an old English keyboard still works
    no_catalog_yet = "کاتالوگ ما در حال به‌روزرسانی است؛ مشاور ما آن را برایتان می‌فرستد."
    await eventually(lambda: no_catalog_yet in bot.texts())


async def test_an_unreachable_telegram_is_retried_with_growing_waits(
    session_factory: async_sessionmaker[AsyncSession], session: AsyncSession, clock, tenant, telegram
):
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    bots = BotManager(session_factory, SECRET, clock, None, api_url=f"http://127.0.0.1:{closed_port}")
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, tenant.tenant.id, TOKEN_A)
    task = None
    try:
        # The waits double from the refresh interval (10 s): tries at 0, 10, 30, 70 s. Each sync
        # is one pass of the manager's loop; the clock moves instead of the test waiting.
        tried_at: list[int] = []
        for second in (0, 1, 9, 10, 11, 29, 30, 31, 69, 70, 71):  # either side of each try
            clock.now = T0 + timedelta(seconds=second)
            before = bots.unreachable.get(tenant.tenant.id)
            await bots.sync()
            if bots.unreachable[tenant.tenant.id] is not before:
                tried_at.append(second)
        assert tried_at == [0, 10, 30, 70]
        assert bots.unreachable[tenant.tenant.id].failures == 4
        assert not bots.running  # nothing crashed, nothing half-started
        clock.now = T0 + timedelta(days=1)
        for _ in range(3):  # however long it stays down, a try at least every five minutes
            await bots.sync()
            waiting = bots.unreachable[tenant.tenant.id]
            assert waiting.retry_at - clock.now <= timedelta(seconds=MAX_RETRY_SECONDS)
            clock.now = waiting.retry_at

        task = asyncio.create_task(bots.run())
        bots.api_url = telegram.url  # Telegram is back
        await eventually(lambda: tenant.tenant.id in bots.running)
        assert tenant.tenant.id not in bots.unreachable
        telegram.message(bot, AHMAD, text="Hello again")
        await eventually(lambda: lead_of(session, tenant.tenant.id, AHMAD["id"]))
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_a_typed_message_fills_the_fields_it_states(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    t = tenant.tenant.id
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)
    telegram.message(bot, AHMAD, text="Looking for a 2BR apartment in Dubai Marina, budget up to 2M, cash")

    async def counted() -> bool:
        lead = await lead_of(session, t, AHMAD["id"])
        return lead is not None and lead.messages_count == 1

    await eventually(counted)
    lead = await lead_of(session, t, AHMAD["id"])
    assert (lead.property_type.value, lead.bedrooms, lead.location) == ("apartment", 2, "Dubai Marina")
    assert (lead.budget_max, lead.payment_method.value) == (2_000_000, "cash")
    # message 1 + budget 10 + property type 5 + location 5 + payment method 5 + recency 20
    assert lead.lead_score == 46
    event = await session.scalar(sa.select(LeadEvent).where(LeadEvent.type == "message"))
    assert event.score_before == 0 and event.payload["read"]["summary"].startswith("2-bedroom apartment")
    await session.commit()


async def test_a_typed_answer_to_the_area_question_must_name_an_area(
    session: AsyncSession, clock: FrozenClock, tenant, telegram: FakeTelegram, manager: BotManager
):
    t = tenant.tenant.id
    bot = telegram.add_bot(TOKEN_A, "MarinaHomesBot")
    await connect(session, t, TOKEN_A)
    telegram.message(bot, AHMAD, text="/start")
    await eventually(lambda: any("Welcome" in x for x in bot.texts()))
    for data in ["q:transaction_type:buy", "q:purpose:investment", "q:property_type:villa"]:
        telegram.tap(bot, AHMAD, data)

    def asked(question: str) -> int:
        return sum(question in x for x in bot.texts())

    await eventually(lambda: asked("Which area") == 1)
    telegram.message(bot, AHMAD, text="hello there, cash buyer")
    await eventually(lambda: asked("Which area") == 2)  # asked again
    lead = await lead_of(session, t, AHMAD["id"])
    assert lead.location is None and lead.messages_count == 1
    assert lead.payment_method.value == "cash"  # read like any message
    assert asked("What is your budget") == 0

    telegram.message(bot, AHMAD, text="Downtown please")
    await eventually(lambda: asked("What is your budget") == 1)
    lead = await lead_of(session, t, AHMAD["id"])
    assert (lead.location, lead.messages_count) == ("Downtown Dubai", 2)
    assert lead.field_sources["location"] == "telegram"  # the answer, not a message's reading
