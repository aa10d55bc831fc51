"""Checks on free text and JSON that every database can store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from app.domain.errors import InvalidInput

MAX_PAYLOAD_BYTES = 64 * 1024


def contains_nul(value: Any) -> bool:
    """PostgreSQL text and JSONB cannot hold U+0000, so it is refused everywhere alike."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def check_text(field: str, value: str) -> str:
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL character (U+0000), which cannot be stored.", field)
    return value


def clean_payload(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """An event's free-form payload: a JSON object of bounded size with storable text."""
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise InvalidInput("payload must be a JSON object.", "payload")
    if contains_nul(payload):
        raise InvalidInput("payload contains a NUL character (U+0000), which cannot be stored.", "payload")
    try:
        size = len(msgspec.json.encode(payload))
    except (TypeError, msgspec.EncodeError):
        raise InvalidInput("payload must be plain JSON.", "payload") from None
    if size > MAX_PAYLOAD_BYTES:
        raise InvalidInput(f"payload is larger than {MAX_PAYLOAD_BYTES // 1024} KiB.", "payload")
    return dict(payload)


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_time(field: str, value: datetime) -> datetime:
    """A timezone-aware time within 1970..2200, as UTC; anything else is refused by name."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} needs a UTC offset, e.g. 2026-11-24T10:00:00+04:00.", field)
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(f"{field} is outside the years 1970 to 2200.", field) from None
    if not EARLIEST <= utc < LATEST:
        raise InvalidInput(f"{field} is outside the years 1970 to 2200.", field)
    return utc
