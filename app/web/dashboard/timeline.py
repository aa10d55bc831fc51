"""What the lead page shows of an event's payload, whatever an older version stored.

Payloads are checked at intake now (app/domain/leads/payloads.py), but rows written before
may hold any JSON: a page must show what it can and never fail on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHOWN_TEXT = 300


@dataclass(frozen=True, slots=True)
class EventNote:
    text: str | None = None
    voice: bool = False
    duration: str = "?"
    fields: list[str] = field(default_factory=list)
    read: str | None = None  # what the message stated, e.g. "budget up to AED 2M, Dubai Marina"


def event_note(payload: Any) -> EventNote:
    if not isinstance(payload, dict):
        return EventNote()
    text = payload.get("text")
    duration = payload.get("duration")
    changed = payload.get("fields")
    read = payload.get("read")
    summary = read.get("summary") if isinstance(read, dict) else None
    if text is not None and not isinstance(text, str):
        text = str(text)  # shown as written (escaped like any text), not trusted as a string
    return EventNote(
        text=text[:SHOWN_TEXT] if text else None,
        voice=isinstance(payload.get("file_id"), str) and bool(payload["file_id"]),
        duration=str(duration) if type(duration) in (int, float) else "?",
        fields=[str(name) for name in changed] if isinstance(changed, dict) else [],
        read=summary[:SHOWN_TEXT] if isinstance(summary, str) and summary else None,
    )
