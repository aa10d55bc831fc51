"""What an event's payload may hold, per event type: defined once, checked at intake.

Every event recorded (API, bulk, bot) passes `check_payload`, so what is stored has a known
shape and the pages that show it can rely on it. Unknown fields are refused for the types
integrators send; the bot's own records (button taps, profile changes) are small flat objects.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from app.domain.enums import EventType
from app.domain.errors import InvalidInput

MAX_TEXT = 4096  # a Telegram message at most; the bot stores no more either
Text = Annotated[str, Meta(max_length=MAX_TEXT)]
Name = Annotated[str, Meta(max_length=200)]
Seconds = Annotated[int, Meta(ge=0, le=24 * 3600)]
Scalar = str | int | float | bool | None


class QrScanPayload(Struct, forbid_unknown_fields=True, omit_defaults=True):
    campaign: Name | None = None
    known_campaign: bool | None = None
    source: Name | None = None


class CatalogViewPayload(Struct, forbid_unknown_fields=True, omit_defaults=True):
    catalog: Name | None = None
    page: Annotated[int, Meta(ge=0, le=100_000)] | None = None


class MessagePayload(Struct, forbid_unknown_fields=True, omit_defaults=True):
    text: Text | None = None
    photo_file_id: Name | None = None
    document_file_id: Name | None = None


class VoicePayload(Struct, forbid_unknown_fields=True, omit_defaults=True):
    file_id: Name | None = None
    duration: Seconds | None = None


SHAPES: dict[EventType, type[Struct]] = {
    EventType.QR_SCAN: QrScanPayload,
    EventType.CATALOG_VIEW: CatalogViewPayload,
    EventType.MESSAGE: MessagePayload,
    EventType.VOICE_MESSAGE: VoicePayload,
}
# Any other type: a flat object of short names to plain values.
FLAT = dict[Name, Scalar]


def check_payload(kind: EventType, payload: Any) -> dict[str, Any]:
    """The payload in its type's shape, or `InvalidInput` on `payload` naming what is wrong."""
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise InvalidInput("payload must be a JSON object.", "payload")
    shape = SHAPES.get(kind, FLAT)
    try:
        checked = msgspec.convert(payload, shape)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"payload of a {kind.value} event: {exc}.", "payload") from None
    return msgspec.to_builtins(checked) if isinstance(checked, Struct) else checked
