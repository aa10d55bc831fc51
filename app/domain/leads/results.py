"""What recording an interaction answers: the new score, or the first answer again for a
repeated idempotency key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.domain.errors import Conflict
from app.domain.leads.queries import temperature_value
from app.domain.leads.statements import EARLIER_COLUMNS


@dataclass(frozen=True, slots=True)
class InteractionResult:
    event_id: uuid.UUID
    lead_id: uuid.UUID
    score_before: int
    score: int
    temperature: str
    breakdown: dict[str, Any]
    duplicate: bool


@dataclass(frozen=True, slots=True)
class EarlierEvent:
    """The event that first used an idempotency key."""

    id: uuid.UUID
    lead_id: uuid.UUID
    score_before: int
    score_after: int
    temperature_after: Any
    breakdown: dict[str, Any]

    @classmethod
    def of_row(cls, row: Any, prefix: str = "") -> EarlierEvent:
        return cls(*(getattr(row, f"{prefix}{name}") for name in EARLIER_COLUMNS))


KEY_OF_ANOTHER_LEAD = "This idempotency_key was already used for another lead; use a new key."


def replayed(earlier: EarlierEvent, lead_id: uuid.UUID) -> InteractionResult:
    if earlier.lead_id != lead_id:
        raise Conflict(KEY_OF_ANOTHER_LEAD, "idempotency_key")
    return InteractionResult(
        earlier.id,
        earlier.lead_id,
        earlier.score_before,
        earlier.score_after,
        temperature_value(earlier.temperature_after) or "",
        earlier.breakdown,
        True,
    )
