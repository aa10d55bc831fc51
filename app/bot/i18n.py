"""The bot's words in the lead's language, with aiogram's gettext i18n.

English is the source language (the msgids in the code); Persian, Arabic and Russian live in
`app/bot/locales/<code>/LC_MESSAGES/messages.po`. `make translations` extracts new strings,
updates the catalogs and compiles them; the compiled `.mo` files are committed so that a plain
`pip install .` has them, and a test keeps them in step with the `.po` files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import FSMI18nMiddleware, I18n

LOCALES = Path(__file__).parent / "locales"
# The choices of the language button, each in its own language.
LANGUAGES = {"en": "English", "fa": "فارسی", "ar": "العربية", "ru": "Русский"}
STATE_KEY = "language"  # where the lead's language sits in the FSM data

i18n = I18n(path=LOCALES, default_locale="en", domain="messages")
_ = i18n.gettext  # translated now, in the locale the middleware set for this update


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Marks a string for translation where it is defined; `_()` translates it where it is used."""
    return message


def in_every_language(message: str) -> frozenset[str]:
    """A reply-keyboard label as any lead may send it back, whatever language they chose."""
    return frozenset(i18n.gettext(message, locale=code) for code in LANGUAGES)


def language_of(code: str | None) -> str:
    """Telegram's IETF code ('fa', 'ar-AE', 'ru') to one of ours; English otherwise."""
    base = (code or "en").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


class LeadLanguage(FSMI18nMiddleware):
    """The lead's language: the one they picked (kept in the FSM data, and on the lead so it
    survives a restart), else Telegram's language code, else English."""

    def __init__(self) -> None:
        super().__init__(i18n, key=STATE_KEY)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        state = data.get("state")
        if state is not None and (picked := (await state.get_data()).get(self.key)):
            return str(picked)
        user: User | None = data.get("event_from_user")
        ctx, leads = data.get("ctx"), data.get("leads")
        stored = await leads.telegram_language(ctx.tenant_id, user.id) if ctx and leads and user else None
        locale = language_of(stored or (user.language_code if user else None))
        if state is not None:
            await state.update_data({self.key: locale})
        return locale
