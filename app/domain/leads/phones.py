"""Phone numbers: parsed and normalised to E.164 by Google's libphonenumber port."""

from __future__ import annotations

import phonenumbers

from app.domain.errors import InvalidInput


def normalise_phone(raw: str, default_region: str) -> str:
    """`'050 123 4567'` in region AE -> `'+971501234567'`; refuses what is not a real number."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{raw[:40]}' is not a phone number.", "phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            f"'{raw[:40]}' is not a valid phone number (region {default_region.upper()} "
            "is assumed when it has no +country code).",
            "phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
