"""Input checks of the lead domain: what an interaction, a key, a time or a history may be."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from app.domain.enums import INTERACTIONS, EventType
from app.domain.errors import InvalidInput
from app.domain.scoring import COUNTER_FIELDS, LeadState
from app.domain.text import check_text, check_time

# An event may be stamped a little ahead of our clock (clock skew), not more.
MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_KEY_LENGTH = 200

# Which counters each interaction adds one to (a voice note is also a message).
COUNTERS: dict[EventType, tuple[str, ...]] = {
    EventType.QR_SCAN: ("qr_scan_count",),
    EventType.CATALOG_VIEW: ("catalog_views",),
    EventType.MESSAGE: ("messages_count",),
    EventType.VOICE_MESSAGE: ("messages_count", "voice_messages_count"),
    EventType.BUTTON: (),
}
# What integrators may send; the bot also records button taps.
API_EVENT_TYPES = frozenset(
    {EventType.QR_SCAN, EventType.CATALOG_VIEW, EventType.MESSAGE, EventType.VOICE_MESSAGE}
)
HISTORY_FIELDS = frozenset({*COUNTER_FIELDS, "last_interaction_at"})


def interaction_type(event_type: EventType | str, allowed: frozenset[EventType] = INTERACTIONS) -> EventType:
    try:
        kind = EventType(event_type)
    except ValueError:
        kind = None
    if kind is None or kind not in allowed:
        names = ", ".join(sorted(t.value for t in allowed))
        raise InvalidInput(f"type must be one of: {names}.", "type")
    return kind


def after_interaction(state: LeadState, kind: EventType, occurred: datetime) -> LeadState:
    """The scoring inputs once the interaction counted; a late event never moves recency back."""
    newest = state.last_interaction_at
    return replace(
        state,
        **{name: getattr(state, name) + 1 for name in COUNTERS[kind]},
        last_interaction_at=occurred if newest is None or occurred > newest else newest,
    )


def check_idempotency_key(key: Any) -> None:
    if key is None:
        return
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput(
            f"idempotency_key must be text of 1 to {MAX_KEY_LENGTH} characters.", "idempotency_key"
        )
    check_text("idempotency_key", key)


def check_occurred_at(occurred_at: datetime | None, now: datetime) -> datetime:
    if occurred_at is None:
        return now
    occurred_at = check_time("occurred_at", occurred_at)
    if occurred_at - now > MAX_FUTURE_SKEW:
        raise InvalidInput("occurred_at is more than 5 minutes in the future.", "occurred_at")
    return occurred_at


def clean_history(history: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Counters and last interaction carried over from another system (an import)."""
    unknown = sorted(set(history) - HISTORY_FIELDS)
    if unknown:
        raise InvalidInput(f"'{unknown[0]}' is not a history field.", unknown[0])
    cleaned = dict(history)
    for name, value in cleaned.items():
        if name != "last_interaction_at" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidInput(f"{name} must be a whole number, 0 or more.", name)
    if cleaned.get("voice_messages_count", 0) > cleaned.get(
        "messages_count", cleaned.get("voice_messages_count", 0)
    ):
        raise InvalidInput("voice_messages_count cannot exceed messages_count.", "voice_messages_count")
    if "last_interaction_at" in cleaned:
        try:
            cleaned["last_interaction_at"] = check_occurred_at(cleaned["last_interaction_at"], now)
        except InvalidInput as exc:
            raise InvalidInput(
                exc.message.replace("occurred_at", "last_interaction_at"), "last_interaction_at"
            ) from None
    return cleaned
