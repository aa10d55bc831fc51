"""A phone number in the text, read by libphonenumber with the agency's region as the default."""

from __future__ import annotations

import phonenumbers

MIN_DIGITS = 8  # fewer digits are prices, dates or bedroom counts, not a number to call
MAX_TRIES = 20  # candidate numbers the matcher checks: a message holds one or two, not hundreds


def find_phone(folded: str, default_region: str | None) -> tuple[str, int, int] | None:
    """(E.164, start, end) of the one valid number in the text; None if none or several differ."""
    if sum(map(str.isdigit, folded)) < MIN_DIGITS:
        return None
    region = default_region.upper() if default_region else None
    found: dict[str, tuple[int, int]] = {}
    for match in phonenumbers.PhoneNumberMatcher(folded, region, max_tries=MAX_TRIES):
        digits = sum(map(str.isdigit, match.raw_string))
        if digits < MIN_DIGITS:
            continue
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.setdefault(e164, (match.start, match.end))
    if len(found) != 1:
        return None
    ((e164, (start, end)),) = found.items()
    return e164, start, end
