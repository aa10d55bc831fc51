"""What the bot does with each update. Every interaction goes through the lead service, keyed
by the Telegram update id, so an update delivered twice counts once. No scoring and no SQL
happen here: the update's unit of work hands the handlers their services and sends their
replies once it has committed."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.bot.filters import Inline
from app.bot.forget import (
    ASK,
    ERASED,
    ERASED_BY,
    FORGET_COMMAND,
    KEPT,
    NOTHING_HELD,
    ForgetButton,
    confirm_keyboard,
)
from app.bot.i18n import LANGUAGES, LeadLanguage, _, in_every_language
from app.bot.questions import (
    BAD_PHONE,
    CATALOG,
    LANGUAGE,
    NOT_UNDERSTOOD,
    ORDER,
    PREFERENCES,
    QUESTIONS,
    THANKS_PHONE,
    AnswerButton,
    BackButton,
    LanguageButton,
    SkipButton,
    answered_fields,
    menu,
    question,
)
from app.bot.unit_of_work import Replies, Sessions, in_own_unit_of_work
from app.domain.campaigns.service import CampaignService
from app.domain.catalogs.service import CatalogService
from app.domain.enums import EventType
from app.domain.errors import DomainError
from app.domain.leads.payloads import MAX_TEXT
from app.domain.leads.reading import named_area
from app.domain.leads.service import LeadService
from app.domain.tenants.models import Tenant

log = logging.getLogger("leadheat.bot")
MAX_STORED_TEXT = MAX_TEXT  # what a message payload may hold


class Qualify(StatesGroup):
    location = State()  # a typed area is accepted
    phone = State()  # a typed phone number is accepted


@dataclass(frozen=True)
class BotContext:
    """What the handlers need besides their services, handed over by the dispatcher (no globals)."""

    tenant_id: uuid.UUID
    bot_id: int
    sessions: Sessions  # for work after a reply was sent, in its own unit of work
    # Telegram user id -> lead id: the pair never changes, so it is looked up once.
    known_leads: dict[int, uuid.UUID] = field(default_factory=dict)
    max_known_leads: int = 100_000


def _name(user: User) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part).strip() or (
        user.username or ""
    )


async def _lead_id(ctx: BotContext, leads: LeadService, user: User) -> uuid.UUID:
    lead_id = ctx.known_leads.get(user.id)
    if lead_id is None:
        lead_id = await leads.telegram_lead(
            ctx.tenant_id, user.id, name=_name(user), username=user.username, language=user.language_code
        )
        if len(ctx.known_leads) >= ctx.max_known_leads:
            ctx.known_leads.clear()
        ctx.known_leads[user.id] = lead_id
    return lead_id


async def _interaction(
    ctx: BotContext,
    leads: LeadService,
    update: Update,
    user: User,
    kind: EventType,
    payload: dict[str, Any] | None = None,
) -> uuid.UUID:
    lead_id = await _lead_id(ctx, leads, user)
    await leads.record(
        ctx.tenant_id,
        lead_id,
        kind,
        idempotency_key=f"tg:{ctx.bot_id}:{update.update_id}",
        payload=payload,
        source="telegram",
    )
    return lead_id


async def _set_fields(ctx: BotContext, leads: LeadService, user: User, fields: dict[str, Any]) -> None:
    await leads.update_profile(ctx.tenant_id, await _lead_id(ctx, leads, user), fields, source="telegram")


async def ask(
    message: Message,
    field: str,
    tenant: Tenant,
    state: FSMContext,
    replies: Replies,
    *,
    edit: bool,
) -> None:
    data = await state.get_data()
    text, keyboard = question(field, tenant, data.get("answers", {}))
    await state.set_state(Qualify.location if field == "location" else None)
    replies.add(
        message.edit_text(text, reply_markup=keyboard)
        if edit
        else message.answer(text, reply_markup=keyboard)
    )


async def ask_phone(message: Message, state: FSMContext, replies: Replies) -> None:
    await state.set_state(Qualify.phone)
    replies.add(
        message.answer(_("Share your phone number with the button below, or type it."), reply_markup=menu())
    )


def build_router() -> Router:
    """A fresh router per dispatcher (a router can be attached to one dispatcher only)."""
    router = Router(name="leadheat")
    router.message.filter(Inline(F.chat.type == "private"))
    router.callback_query.filter(Inline(F.message.chat.type == "private"))
    LeadLanguage().setup(router)  # every handler below speaks the lead's language

    @router.message(CommandStart(deep_link=True))
    @router.message(CommandStart())
    async def start(
        message: Message,
        command: CommandObject,
        state: FSMContext,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        campaigns: CampaignService,
        replies: Replies,
    ) -> None:
        user = message.from_user
        if user is None:
            return
        await state.update_data(answers={})
        payload = (command.args or "").strip()
        if payload.startswith("qr_"):
            slug = payload[3:][:40].lower()
            known = await campaigns.exists(ctx.tenant_id, slug)
            scan = {"campaign": slug, "known_campaign": known}
            await _interaction(ctx, leads, event_update, user, EventType.QR_SCAN, scan)
        else:
            await _interaction(ctx, leads, event_update, user, EventType.BUTTON, {"command": "start"})
        tenant = await leads.tenant(ctx.tenant_id)
        welcome = _("Welcome to {agency}! I can send you our catalog and match you with the right homes.")
        replies.add(message.answer(welcome.format(agency=tenant.name), reply_markup=menu()))
        await ask(message, ORDER[0], tenant, state, replies, edit=False)

    @router.message(Command(FORGET_COMMAND))
    async def forget(message: Message, state: FSMContext, replies: Replies) -> None:
        """Asks before erasing; nothing is recorded (a stranger's /forget creates no lead)."""
        await state.set_state(None)
        replies.add(message.answer(_(ASK), reply_markup=confirm_keyboard()))

    @router.callback_query(ForgetButton.filter())
    async def forget_confirmed(
        query: CallbackQuery,
        callback_data: ForgetButton,
        state: FSMContext,
        ctx: BotContext,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        replies.add(query.answer())
        if not isinstance(query.message, Message):
            return
        if not callback_data.confirm:
            replies.add(query.message.edit_text(_(KEPT)))
            return
        lead_id = await leads.telegram_lead_id(ctx.tenant_id, query.from_user.id)
        if lead_id is None:
            replies.add(query.message.edit_text(_(NOTHING_HELD)))
            return
        await leads.erase(ctx.tenant_id, lead_id, erased_by=ERASED_BY)
        ctx.known_leads.pop(query.from_user.id, None)
        await state.clear()  # their answers and language go too
        replies.add(query.message.edit_text(_(ERASED)))

    @router.callback_query(AnswerButton.filter())
    async def answer(
        query: CallbackQuery,
        callback_data: AnswerButton,
        state: FSMContext,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        answers = dict((await state.get_data()).get("answers", {}))
        tenant = await leads.tenant(ctx.tenant_id)
        fields = answered_fields(callback_data, tenant, answers)
        if fields is None:
            replies.add(query.answer(_(NOT_UNDERSTOOD)))
            return
        field = callback_data.field
        await _interaction(ctx, leads, event_update, query.from_user, EventType.BUTTON, {"answer": field})
        await _set_fields(ctx, leads, query.from_user, fields)
        answers[field] = callback_data.value
        await state.update_data(answers=answers)
        replies.add(query.answer())
        await _next(query, field, tenant, state, replies)

    @router.callback_query(SkipButton.filter())
    @router.callback_query(BackButton.filter())
    async def navigate(
        query: CallbackQuery,
        callback_data: SkipButton | BackButton,
        state: FSMContext,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        field = callback_data.field
        action = callback_data.__prefix__
        if field not in QUESTIONS:
            replies.add(query.answer(_(NOT_UNDERSTOOD)))
            return
        await _interaction(ctx, leads, event_update, query.from_user, EventType.BUTTON, {action: field})
        replies.add(query.answer())
        tenant = await leads.tenant(ctx.tenant_id)
        if isinstance(callback_data, BackButton):
            previous = ORDER[max(0, ORDER.index(field) - 1)]
            if isinstance(query.message, Message):
                await ask(query.message, previous, tenant, state, replies, edit=True)
        else:
            await _next(query, field, tenant, state, replies)

    @router.callback_query(LanguageButton.filter())
    async def choose_language(
        query: CallbackQuery,
        callback_data: LanguageButton,
        state: FSMContext,
        ctx: BotContext,
        i18n_middleware: LeadLanguage,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        code = callback_data.code
        if code not in LANGUAGES:
            replies.add(query.answer())
            return
        await i18n_middleware.set_locale(state, code)  # this reply already speaks it
        await _set_fields(ctx, leads, query.from_user, {"language": code})
        replies.add(query.answer())
        if isinstance(query.message, Message):
            replies.add(query.message.answer(LANGUAGES[code], reply_markup=menu()))

    @router.callback_query()
    async def unknown_callback(query: CallbackQuery, replies: Replies) -> None:
        replies.add(query.answer(_(NOT_UNDERSTOOD)))

    @router.message(Inline(F.contact))
    async def contact(
        message: Message,
        state: FSMContext,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        user = message.from_user
        if user is None or message.contact is None:
            return
        if message.contact.user_id != user.id:  # someone else's contact card
            own_contact = _("Please share your own contact with the button below.")
            replies.add(message.answer(own_contact, reply_markup=menu()))
            return
        await _interaction(ctx, leads, event_update, user, EventType.BUTTON, {"contact": "shared"})
        try:
            await _set_fields(ctx, leads, user, {"phone": message.contact.phone_number})
        except DomainError:
            replies.add(message.answer(_(BAD_PHONE), reply_markup=menu()))
            return
        await state.set_state(None)
        replies.add(message.answer(_(THANKS_PHONE), reply_markup=menu()))

    @router.message(Inline(F.text.in_(in_every_language(CATALOG))))
    async def catalog(
        message: Message,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        catalogs: CatalogService,
        replies: Replies,
    ) -> None:
        """Send the newest catalog (Telegram's file id after the first upload); each send is a view."""
        user = message.from_user
        assert user is not None
        newest = await catalogs.newest(ctx.tenant_id)
        if newest is None:
            no_catalog = _("Our catalog is being updated; an agent will send it to you.")
            replies.add(message.answer(no_catalog, reply_markup=menu()))
            return
        await _interaction(
            ctx, leads, event_update, user, EventType.CATALOG_VIEW, {"catalog": str(newest.id)}
        )
        reuse = newest.telegram_bot_id == ctx.bot_id and newest.telegram_file_id
        if reuse:
            replies.add(message.answer_document(newest.telegram_file_id, caption=newest.title))
            return
        catalog_id, tenant_id = newest.id, ctx.tenant_id

        async def remember_file_id(sent: Message) -> None:
            if sent.document is None:
                return
            file_id = sent.document.file_id

            async def work(session: AsyncSession) -> None:
                await CatalogService(session).remember_file_id(tenant_id, catalog_id, ctx.bot_id, file_id)

            await in_own_unit_of_work(ctx.sessions, work, tenant_id)

        upload = BufferedInputFile(newest.data, filename=newest.filename)
        replies.add(message.answer_document(upload, caption=newest.title), after_sent=remember_file_id)

    @router.message(Inline(F.text.in_(in_every_language(PREFERENCES) | in_every_language(LANGUAGE))))
    async def menu_button(
        message: Message,
        state: FSMContext,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        user = message.from_user
        assert user is not None
        await _interaction(ctx, leads, event_update, user, EventType.BUTTON, {"menu": message.text})
        if message.text in in_every_language(LANGUAGE):
            await state.set_state(None)  # a typed area or phone is no longer awaited
            keyboard = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=name, callback_data=LanguageButton(code=code).pack())]
                    for code, name in LANGUAGES.items()
                ]
            )
            replies.add(message.answer(_("Choose your language:"), reply_markup=keyboard))
        else:
            await state.update_data(answers={})
            await ask(message, ORDER[0], await leads.tenant(ctx.tenant_id), state, replies, edit=False)

    @router.message(StateFilter(Qualify.phone), Inline(F.text))
    async def typed_phone(
        message: Message,
        state: FSMContext,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        user = message.from_user
        assert user is not None and message.text is not None
        text = {"text": message.text[:MAX_STORED_TEXT]}
        await _interaction(ctx, leads, event_update, user, EventType.MESSAGE, text)
        try:
            await _set_fields(ctx, leads, user, {"phone": message.text[:64]})
        except DomainError:  # the message still counts; the lead is asked again
            replies.add(message.answer(_(BAD_PHONE)))
            return
        await state.set_state(None)
        replies.add(message.answer(_(THANKS_PHONE), reply_markup=menu()))

    @router.message(StateFilter(Qualify.location), Inline(F.text))
    async def typed_area(
        message: Message,
        state: FSMContext,
        ctx: BotContext,
        event_update: Update,
        leads: LeadService,
        replies: Replies,
    ) -> None:
        user = message.from_user
        assert user is not None and message.text is not None
        text = {"text": message.text[:MAX_STORED_TEXT]}
        tenant = await leads.tenant(ctx.tenant_id)
        area = named_area(message.text, tenant)
        # Read like any message (it may state more than the area); with no area in it, the
        # text is not the answer and the question is asked again.
        await _interaction(ctx, leads, event_update, user, EventType.MESSAGE, text)
        if area is None:
            await ask(message, "location", tenant, state, replies, edit=False)
            return
        await _set_fields(ctx, leads, user, {"location": area})
        await ask(message, "budget", tenant, state, replies, edit=False)

    @router.message(Inline(F.voice))
    async def voice(
        message: Message, ctx: BotContext, event_update: Update, leads: LeadService, replies: Replies
    ) -> None:
        user = message.from_user
        assert user is not None and message.voice is not None
        payload = {"file_id": message.voice.file_id, "duration": message.voice.duration}
        await _interaction(ctx, leads, event_update, user, EventType.VOICE_MESSAGE, payload)
        replies.add(
            message.answer(_("Thank you for your voice message! An agent will listen to it shortly."))
        )

    @router.message(Inline(F.text | F.photo | F.document))
    async def text_or_file(
        message: Message, ctx: BotContext, event_update: Update, leads: LeadService, replies: Replies
    ) -> None:
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
        await _interaction(ctx, leads, event_update, user, EventType.MESSAGE, payload)
        replies.add(message.answer(_("Thank you for your message! An agent will read it shortly.")))

    @router.message()
    async def anything_else(message: Message, replies: Replies) -> None:
        """Stickers, locations, polls...: answered politely, not counted."""
        if message.from_user is not None:
            replies.add(message.answer(_(NOT_UNDERSTOOD), reply_markup=menu()))

    return router


async def _next(
    query: CallbackQuery, field: str, tenant: Tenant, state: FSMContext, replies: Replies
) -> None:
    """The question after `field`, or the phone request at the end."""
    following = ORDER.index(field) + 1 if field in QUESTIONS else len(ORDER)
    if not isinstance(query.message, Message):
        return
    if following < len(ORDER):
        await ask(query.message, ORDER[following], tenant, state, replies, edit=True)
    else:
        replies.add(query.message.edit_text(_("Thank you! An agent will contact you soon.")))
        await ask_phone(query.message, state, replies)
