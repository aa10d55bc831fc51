"""`/forget`: a lead asks to be erased; the bot asks once more, then erases everything held
about them (as the API's DELETE does). Pure: the texts, the buttons and what they carry."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from app.bot.i18n import N_, _

FORGET_COMMAND = "forget"
# Who the erasure's audit line names: the person themselves (their Telegram id is not kept).
ERASED_BY = "the lead, with /forget in Telegram"

ASK = N_(
    "Do you want us to erase everything we hold about you: your details, messages and voice "
    "notes? This cannot be undone."
)
YES = N_("Yes, erase me")
NO = N_("No, keep it")
ERASED = N_("Done: everything we held about you is erased. Send /start if you ever want to talk again.")
KEPT = N_("Nothing was erased.")
NOTHING_HELD = N_("We hold nothing about you.")


class ForgetButton(CallbackData, prefix="forget"):
    confirm: bool


def confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_(YES), callback_data=ForgetButton(confirm=True).pack()),
                InlineKeyboardButton(text=_(NO), callback_data=ForgetButton(confirm=False).pack()),
            ]
        ]
    )
