"""What the bot does with each update. Every interaction goes through the lead service, keyed
by the Telegram update id, so an update delivered twice counts once. No scoring happens here."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.bot.filters import Inline
from app.bot.i18n import LANGUAGES, N_, LeadLanguage, _, in_every_language
from app.domain.campaigns.models import Campaign
from app.domain.catalogs.service import CatalogService
from app.domain.clock import Clock
from app.domain.enums import EventType
from app.domain.errors import DomainError
from app.domain.leads.service import LeadService, ScoreNotifier
from app.domain.money import budget
from app.domain.tenants.models import Tenant

log = logging.getLogger("leadheat.bot")
MAX_STORED_TEXT = 4096

# Each question, in the order asked, with what the bot says.
QUESTIONS = {
    "transaction_type": N_("Are you looking to buy or to rent?"),
    "purpose": N_("Is it for living, investment or residency?"),
    "property_type": N_("Which kind of property?"),
    "location": N_("Which area do you prefer? Pick one or type it."),
    "budget": N_("What is your budget?"),
    "payment_method": N_("How would you pay?"),
}
ORDER = list(QUESTIONS)
# The answers offered as buttons: stored value -> label.
CHOICES = {
    "transaction_type": {"buy": N_("Buy"), "rent": N_("Rent")},
    "purpose": {"living": N_("Living"), "investment": N_("Investment"), "residency": N_("Residency")},
    "property_type": {
        "apartment": N_("Apartment"),
        "villa": N_("Villa"),
        "townhouse": N_("Townhouse"),
        "penthouse": N_("Penthouse"),
        "studio": N_("Studio"),
        "land": N_("Land"),
        "commercial": N_("Commercial"),
    },
    "payment_method": {"cash": N_("Cash"), "mortgage": N_("Mortgage"), "installments": N_("Installments")},
}
# Reply-keyboard labels, matched in every language (the lead's keyboard may predate a switch).
CATALOG = N_("📄 Catalog")
SHARE_PHONE = N_("📱 Share phone")
PREFERENCES = N_("🏠 My preferences")
LANGUAGE = N_("🌐 Language")
# Said in more than one place.
NOT_UNDERSTOOD = N_("Sorry, I didn't get that. Please use the menu below.")
BAD_PHONE = N_("That doesn't look like a phone number. Please try again, e.g. +971 50 123 4567.")
THANKS_PHONE = N_("Thank you, we have your number.")
# Budget ranges in the agency's currency: (min, max); buyers and renters get their own.
BUDGETS = {
    "buy": [(0, 1_000_000), (1_000_000, 2_500_000), (2_500_000, 5_000_000), (5_000_000, 0)],
    "rent": [(0, 80_000), (80_000, 150_000), (150_000, 300_000), (300_000, 0)],
}


class Qualify(StatesGroup):
    location = State()  # a typed area is accepted
    phone = State()  # a typed phone number is accepted


@dataclass(frozen=True)
class BotContext:
    """What the handlers need, handed over by the dispatcher (no globals)."""

    tenant_id: uuid.UUID
    bot_id: int
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    notify: ScoreNotifier | None
    # Telegram user id -> lead id: the pair never changes, so it is looked up once.
    known_leads: dict[int, uuid.UUID] = field(default_factory=dict)


def _name(user: User) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part).strip() or (
        user.username or ""
    )


async def _lead(ctx: BotContext, session: AsyncSession, user: User) -> tuple[LeadService, uuid.UUID]:
    leads = LeadService(session, ctx.clock, ctx.notify)
    lead_id = ctx.known_leads.get(user.id)
    if lead_id is None:
        lead_id = await leads.telegram_lead(
            ctx.tenant_id, user.id, name=_name(user), username=user.username, language=user.language_code
        )
        if len(ctx.known_leads) > 100_000:
            ctx.known_leads.clear()
        ctx.known_leads[user.id] = lead_id
    return leads, lead_id


async def _interaction(
    ctx: BotContext, update: Update, user: User, kind: EventType, payload: dict[str, Any] | None = None
) -> uuid.UUID:
    async with ctx.sessions() as session:
        leads, lead_id = await _lead(ctx, session, user)
        await leads.record(
            ctx.tenant_id,
            lead_id,
            kind,
            idempotency_key=f"tg:{ctx.bot_id}:{update.update_id}",
            payload=payload,
            source="telegram",
        )
        return lead_id


async def _set_fields(ctx: BotContext, user: User, fields: dict[str, Any]) -> None:
    async with ctx.sessions() as session:
        leads, lead_id = await _lead(ctx, session, user)
        await leads.update_profile(ctx.tenant_id, lead_id, fields, source="telegram")


async def _tenant(ctx: BotContext) -> Tenant:
    async with ctx.sessions() as session:
        tenant = await session.get(Tenant, ctx.tenant_id)
        await session.commit()
        assert tenant is not None
        return tenant


def menu() -> ReplyKeyboardMarkup:
    """The lead's standing menu, in the language of this update."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_(CATALOG))],
            [KeyboardButton(text=_(SHARE_PHONE), request_contact=True)],
            [KeyboardButton(text=_(PREFERENCES)), KeyboardButton(text=_(LANGUAGE))],
        ],
        resize_keyboard=True,
    )


def budget_label(low: int, high: int, currency: str) -> str:
    return budget(low, high, currency, up_to=_("Up to {amount}"), from_=_("From {amount}"))


async def question(field: str, ctx: BotContext, answers: dict[str, Any]) -> tuple[str, Any]:
    """The text and inline keyboard that ask for `field`."""
    if field == "location":
        areas = (await _tenant(ctx)).areas or []
        options = [(area, f"q:location:{i}") for i, area in enumerate(areas[:12])]
    elif field == "budget":
        currency = (await _tenant(ctx)).currency
        ranges = BUDGETS["rent" if answers.get("transaction_type") == "rent" else "buy"]
        options = [
            (budget_label(low, high, currency), f"q:budget:{i}") for i, (low, high) in enumerate(ranges)
        ]
    else:
        options = [(_(label), f"q:{field}:{value}") for value, label in CHOICES[field].items()]
    rows = [[InlineKeyboardButton(text=text, callback_data=data)] for text, data in options]
    nav = [InlineKeyboardButton(text=_("Skip ⏭"), callback_data=f"skip:{field}")]
    if ORDER.index(field) > 0:
        nav.insert(0, InlineKeyboardButton(text=_("⬅ Back"), callback_data=f"back:{field}"))
    rows.append(nav)
    return _(QUESTIONS[field]), InlineKeyboardMarkup(inline_keyboard=rows)


async def ask(message: Message, field: str, ctx: BotContext, state: FSMContext, *, edit: bool) -> None:
    data = await state.get_data()
    text, keyboard = await question(field, ctx, data.get("answers", {}))
    await state.set_state(Qualify.location if field == "location" else None)
    if edit:
        await message.edit_text(text, reply_markup=keyboard)
    else:
        await message.answer(text, reply_markup=keyboard)


async def ask_phone(message: Message, state: FSMContext) -> None:
    await state.set_state(Qualify.phone)
    await message.answer(_("Share your phone number with the button below, or type it."), reply_markup=menu())


def build_router() -> Router:
    """A fresh router per dispatcher (a router can be attached to one dispatcher only)."""
    router = Router(name="leadheat")
    router.message.filter(Inline(F.chat.type == "private"))
    router.callback_query.filter(Inline(F.message.chat.type == "private"))
    LeadLanguage().setup(router)  # every handler below speaks the lead's language

    @router.message(CommandStart(deep_link=True))
    @router.message(CommandStart())
    async def start(
        message: Message, command: CommandObject, state: FSMContext, ctx: BotContext, event_update: Update
    ) -> None:
        user = message.from_user
        if user is None:
            return
        await state.update_data(answers={})
        payload = (command.args or "").strip()
        if payload.startswith("qr_"):
            slug = payload[3:][:40].lower()
            async with ctx.sessions() as session:
                known = await session.scalar(
                    Campaign.__table__.select()
                    .with_only_columns(Campaign.id)
                    .where(Campaign.tenant_id == ctx.tenant_id, Campaign.slug == slug)
                )
                await session.commit()
            await _interaction(
                ctx,
                event_update,
                user,
                EventType.QR_SCAN,
                {"campaign": slug, "known_campaign": known is not None},
            )
        else:
            await _interaction(ctx, event_update, user, EventType.BUTTON, {"command": "start"})
        tenant = await _tenant(ctx)
        welcome = _("Welcome to {agency}! I can send you our catalog and match you with the right homes.")
        await message.answer(welcome.format(agency=tenant.name), reply_markup=menu())
        await ask(message, ORDER[0], ctx, state, edit=False)

    @router.callback_query(Inline(F.data.startswith("q:")))
    async def answer(query: CallbackQuery, state: FSMContext, ctx: BotContext, event_update: Update) -> None:
        parts = (query.data or "").split(":", 2)
        field, value = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
        data = await state.get_data()
        answers = dict(data.get("answers", {}))
        fields: dict[str, Any] | None = None
        if field in CHOICES and value in CHOICES[field]:
            fields = {field: value}
        elif field == "location" and value.isdigit():
            areas = (await _tenant(ctx)).areas or []
            if int(value) < len(areas):
                fields = {"location": areas[int(value)]}
        elif field == "budget" and value.isdigit():
            ranges = BUDGETS["rent" if answers.get("transaction_type") == "rent" else "buy"]
            if int(value) < len(ranges):
                low, high = ranges[int(value)]
                fields = {"budget_min": low or None, "budget_max": high or None}
        if fields is None:
            await query.answer(_(NOT_UNDERSTOOD))
            return
        await _interaction(ctx, event_update, query.from_user, EventType.BUTTON, {"answer": field})
        await _set_fields(ctx, query.from_user, fields)
        answers[field] = value
        await state.update_data(answers=answers)
        await query.answer()
        await _next(query, field, ctx, state)

    @router.callback_query(Inline(F.data.startswith("skip:") | F.data.startswith("back:")))
    async def navigate(
        query: CallbackQuery, state: FSMContext, ctx: BotContext, event_update: Update
    ) -> None:
        action, _sep, field = (query.data or "").partition(":")
        if field not in QUESTIONS:
            await query.answer(_(NOT_UNDERSTOOD))
            return
        await _interaction(ctx, event_update, query.from_user, EventType.BUTTON, {action: field})
        await query.answer()
        if action == "back":
            previous = ORDER[max(0, ORDER.index(field) - 1)]
            if isinstance(query.message, Message):
                await ask(query.message, previous, ctx, state, edit=True)
        else:
            await _next(query, field, ctx, state)

    @router.callback_query(Inline(F.data.startswith("lang:")))
    async def choose_language(
        query: CallbackQuery, state: FSMContext, ctx: BotContext, i18n_middleware: LeadLanguage
    ) -> None:
        code = (query.data or "").partition(":")[2]
        if code not in LANGUAGES:
            await query.answer()
            return
        await i18n_middleware.set_locale(state, code)  # this reply already speaks it
        await _set_fields(ctx, query.from_user, {"language": code})
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(LANGUAGES[code], reply_markup=menu())

    @router.callback_query()
    async def unknown_callback(query: CallbackQuery) -> None:
        await query.answer(_(NOT_UNDERSTOOD))

    @router.message(Inline(F.contact))
    async def contact(message: Message, state: FSMContext, ctx: BotContext, event_update: Update) -> None:
        user = message.from_user
        if user is None or message.contact is None:
            return
        if message.contact.user_id != user.id:  # someone else's contact card
            own_contact = _("Please share your own contact with the button below.")
            await message.answer(own_contact, reply_markup=menu())
            return
        await _interaction(ctx, event_update, user, EventType.BUTTON, {"contact": "shared"})
        try:
            await _set_fields(ctx, user, {"phone": message.contact.phone_number})
        except DomainError:
            await message.answer(_(BAD_PHONE), reply_markup=menu())
            return
        await state.set_state(None)
        await message.answer(_(THANKS_PHONE), reply_markup=menu())

    @router.message(Inline(F.text.in_(in_every_language(CATALOG))))
    async def catalog(message: Message, ctx: BotContext, event_update: Update) -> None:
        """Send the newest catalog (Telegram's file id after the first upload); each send is a view."""
        user = message.from_user
        assert user is not None
        async with ctx.sessions() as session:
            newest = await CatalogService(session).newest(ctx.tenant_id)
        if newest is None:
            no_catalog = _("Our catalog is being updated; an agent will send it to you.")
            await message.answer(no_catalog, reply_markup=menu())
            return
        reuse = newest.telegram_bot_id == ctx.bot_id and newest.telegram_file_id
        document = (
            newest.telegram_file_id if reuse else BufferedInputFile(newest.data, filename=newest.filename)
        )
        sent = await message.answer_document(document, caption=newest.title)
        if not reuse and sent.document is not None:
            async with ctx.sessions() as session:
                await CatalogService(session).remember_file_id(
                    ctx.tenant_id, newest.id, ctx.bot_id, sent.document.file_id
                )
        await _interaction(ctx, event_update, user, EventType.CATALOG_VIEW, {"catalog": str(newest.id)})

    @router.message(Inline(F.text.in_(in_every_language(PREFERENCES) | in_every_language(LANGUAGE))))
    async def menu_button(message: Message, state: FSMContext, ctx: BotContext, event_update: Update) -> None:
        user = message.from_user
        assert user is not None
        await _interaction(ctx, event_update, user, EventType.BUTTON, {"menu": message.text})
        if message.text in in_every_language(LANGUAGE):
            await state.set_state(None)  # a typed area or phone is no longer awaited
            keyboard = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=name, callback_data=f"lang:{code}")]
                    for code, name in LANGUAGES.items()
                ]
            )
            await message.answer(_("Choose your language:"), reply_markup=keyboard)
        else:
            await state.update_data(answers={})
            await ask(message, ORDER[0], ctx, state, edit=False)

    @router.message(StateFilter(Qualify.phone), Inline(F.text))
    async def typed_phone(message: Message, state: FSMContext, ctx: BotContext, event_update: Update) -> None:
        user = message.from_user
        assert user is not None and message.text is not None
        await _interaction(
            ctx, event_update, user, EventType.MESSAGE, {"text": message.text[:MAX_STORED_TEXT]}
        )
        try:
            await _set_fields(ctx, user, {"phone": message.text[:64]})
        except DomainError:
            await message.answer(_(BAD_PHONE))
            return
        await state.set_state(None)
        await message.answer(_(THANKS_PHONE), reply_markup=menu())

    @router.message(StateFilter(Qualify.location), Inline(F.text))
    async def typed_area(message: Message, state: FSMContext, ctx: BotContext, event_update: Update) -> None:
        user = message.from_user
        assert user is not None and message.text is not None
        await _interaction(
            ctx, event_update, user, EventType.MESSAGE, {"text": message.text[:MAX_STORED_TEXT]}
        )
        await _set_fields(ctx, user, {"location": message.text[:200]})
        await ask(message, "budget", ctx, state, edit=False)

    @router.message(Inline(F.voice))
    async def voice(message: Message, ctx: BotContext, event_update: Update) -> None:
        user = message.from_user
        assert user is not None and message.voice is not None
        payload = {"file_id": message.voice.file_id, "duration": message.voice.duration}
        await _interaction(ctx, event_update, user, EventType.VOICE_MESSAGE, payload)
        await message.answer(_("Thank you for your voice message! An agent will listen to it shortly."))

    @router.message(Inline(F.text | F.photo | F.document))
    async def text_or_file(message: Message, ctx: BotContext, event_update: Update) -> None:
        user = message.from_user
        assert user is not None
        payload: dict[str, Any] = {}
        if message.text:
            payload["text"] = message.text[:MAX_STORED_TEXT]
        if message.caption:
            payload["text"] = message.caption[:MAX_STORED_TEXT]
        if message.photo:
            payload["photo_file_id"] = message.photo[-1].file_id
        if message.document:
            payload["document_file_id"] = message.document.file_id
        await _interaction(ctx, event_update, user, EventType.MESSAGE, payload)
        await message.answer(_("Thank you for your message! An agent will read it shortly."))

    @router.message()
    async def anything_else(message: Message) -> None:
        """Stickers, locations, polls...: answered politely, not counted."""
        if message.from_user is not None:
            await message.answer(_(NOT_UNDERSTOOD), reply_markup=menu())

    return router


async def _next(query: CallbackQuery, field: str, ctx: BotContext, state: FSMContext) -> None:
    """The question after `field`, or the phone request at the end."""
    following = ORDER.index(field) + 1 if field in QUESTIONS else len(ORDER)
    if not isinstance(query.message, Message):
        return
    if following < len(ORDER):
        await ask(query.message, ORDER[following], ctx, state, edit=True)
    else:
        await query.message.edit_text(_("Thank you! An agent will contact you soon."))
        await ask_phone(query.message, state)
