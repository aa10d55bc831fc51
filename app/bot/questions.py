"""The questionnaire the bot runs: its questions, the buttons that answer them, the menu, and
which lead fields an answer sets. Pure: no database, no Telegram calls."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from app.bot.i18n import N_, _
from app.domain.money import budget
from app.domain.tenants.models import Tenant

MAX_AREA_BUTTONS = 12

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


# What the inline buttons carry ("q:location:0", "skip:budget", "lang:fa"), packed and parsed
# by aiogram's CallbackData, never split by hand.
class AnswerButton(CallbackData, prefix="q"):
    field: str
    value: str


class SkipButton(CallbackData, prefix="skip"):
    field: str


class BackButton(CallbackData, prefix="back"):
    field: str


class LanguageButton(CallbackData, prefix="lang"):
    code: str


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


def _budgets(answers: dict[str, Any]) -> list[tuple[int, int]]:
    return BUDGETS["rent" if answers.get("transaction_type") == "rent" else "buy"]


def question(field: str, tenant: Tenant, answers: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """The text and inline keyboard that ask for `field`."""
    if field == "location":
        areas = (tenant.areas or [])[:MAX_AREA_BUTTONS]
        options = [(area, AnswerButton(field=field, value=str(i))) for i, area in enumerate(areas)]
    elif field == "budget":
        options = [
            (budget_label(low, high, tenant.currency), AnswerButton(field=field, value=str(i)))
            for i, (low, high) in enumerate(_budgets(answers))
        ]
    else:
        options = [
            (_(label), AnswerButton(field=field, value=value)) for value, label in CHOICES[field].items()
        ]
    rows = [[InlineKeyboardButton(text=text, callback_data=data.pack())] for text, data in options]
    nav = [InlineKeyboardButton(text=_("Skip ⏭"), callback_data=SkipButton(field=field).pack())]
    if ORDER.index(field) > 0:
        nav.insert(0, InlineKeyboardButton(text=_("⬅ Back"), callback_data=BackButton(field=field).pack()))
    rows.append(nav)
    return _(QUESTIONS[field]), InlineKeyboardMarkup(inline_keyboard=rows)


def answered_fields(button: AnswerButton, tenant: Tenant, answers: dict[str, Any]) -> dict[str, Any] | None:
    """The lead's fields a tapped answer sets; None for a button we never offered."""
    field, value = button.field, button.value
    if field in CHOICES and value in CHOICES[field]:
        return {field: value}
    if field == "location" and value.isdigit():
        areas = tenant.areas or []
        return {"location": areas[int(value)]} if int(value) < len(areas) else None
    if field == "budget" and value.isdigit():
        ranges = _budgets(answers)
        if int(value) < len(ranges):
            low, high = ranges[int(value)]
            return {"budget_min": low or None, "budget_max": high or None}
    return None
