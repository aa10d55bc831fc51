"""Validation of a lead's profile fields, shared by the API, the dashboard, CSV and the bot."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from app.domain.enums import LeadStatus, PaymentMethod, PropertyType, Purpose, TransactionType
from app.domain.errors import InvalidInput
from app.domain.leads.outcomes import MAX_OUTCOME_NOTE, MAX_REASON
from app.domain.leads.phones import normalise_phone
from app.domain.text import check_text

MAX_BUDGET = 10**15
MAX_BEDROOMS = 50


def _text(max_length: int, *, nullable: bool = True) -> Callable[[str, Any], Any]:
    def clean(field: str, value: Any) -> str | None:
        if value is None:
            if nullable:
                return None
            raise InvalidInput(f"{field} cannot be empty.", field)
        if not isinstance(value, str):
            raise InvalidInput(f"{field} must be text.", field)
        value = check_text(field, value).strip()
        if len(value) > max_length:
            raise InvalidInput(f"{field} is longer than {max_length} characters.", field)
        if not value and nullable:
            return None
        return value

    return clean


def _choice(enum_cls: type[enum.Enum], *, nullable: bool = True) -> Callable[[str, Any], Any]:
    allowed = [m.value for m in enum_cls]

    def clean(field: str, value: Any) -> enum.Enum | None:
        if value is None or value == "":
            if nullable:
                return None
            raise InvalidInput(f"{field} cannot be empty; one of: {', '.join(allowed)}.", field)
        try:
            return enum_cls(value.lower() if isinstance(value, str) else value)
        except ValueError:
            raise InvalidInput(f"{field} must be one of: {', '.join(allowed)}.", field) from None

    return clean


def _amount(field: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a whole amount.", field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.replace(",", "").replace("_", "").strip())
        except ValueError:
            raise InvalidInput(f"{field} must be a whole amount, e.g. 2500000.", field) from None
    if not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole amount, e.g. 2500000.", field)
    if not 0 <= value <= MAX_BUDGET:
        raise InvalidInput(f"{field} must be between 0 and {MAX_BUDGET}.", field)
    return value


def _bedrooms(field: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BEDROOMS:
        raise InvalidInput(f"{field} must be a whole number from 0 (a studio) to {MAX_BEDROOMS}.", field)
    return value


def _telegram_id(field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise InvalidInput(f"{field} must be a positive whole number.", field)
    return value


def _email(field: str, value: Any) -> str | None:
    text = _text(320)(field, value)
    if text is not None and ("@" not in text or text.startswith("@") or text.endswith("@") or " " in text):
        raise InvalidInput(f"'{text[:60]}' is not an email address.", field)
    return text


FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "name": _text(200, nullable=False),
    "email": _email,
    "language": _text(16),
    "telegram_user_id": _telegram_id,
    "telegram_username": _text(64),
    "external_id": _text(200),
    "source": _text(64),
    "campaign": _text(100),
    "budget_min": _amount,
    "budget_max": _amount,
    "transaction_type": _choice(TransactionType),
    "property_type": _choice(PropertyType),
    "location": _text(200),
    "bedrooms": _bedrooms,
    "payment_method": _choice(PaymentMethod),
    "purpose": _choice(Purpose),
    "status": _choice(LeadStatus, nullable=False),
    "notes": _text(10_000, nullable=False),
    "outcome_reason": _text(MAX_REASON),
    "outcome_note": _text(MAX_OUTCOME_NOTE),
}
PROFILE_FIELDS = frozenset(FIELDS) | {"phone"}


def clean_profile(data: Mapping[str, Any], phone_region: str) -> dict[str, Any]:
    """Validate and normalise the given fields; the first bad one raises `InvalidInput`."""
    unknown = sorted(set(data) - PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"'{unknown[0]}' is not a lead field that can be set.", unknown[0])
    cleaned: dict[str, Any] = {}
    for field, value in data.items():
        if field == "phone":
            text = _text(64)(field, value)
            cleaned[field] = normalise_phone(text, phone_region) if text else None
        else:
            cleaned[field] = FIELDS[field](field, value)
    low, high = cleaned.get("budget_min"), cleaned.get("budget_max")
    if low is not None and high is not None and low > high:
        raise InvalidInput("budget_min is above budget_max.", "budget_min")
    return cleaned
