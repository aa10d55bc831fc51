"""A lead's score over time, from its stored events (each carries the score it left behind)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.domain.errors import NotFound
from app.domain.leads.models import Lead, LeadEvent
from app.domain.leads.queries import LeadWork, temperature_value

# The newest this many events make the chart (older ones are in the timeline's past anyway).
MAX_HISTORY_POINTS = 500


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    time: datetime  # when the score became this (the event was recorded)
    score: int
    temperature: str
    change: str  # what changed: the event's kind, and the fields an edit set
    score_before: int
    breakdown: dict[str, Any]  # empty for all but the last event of a bulk batch


def describe(kind: str, payload: dict[str, Any]) -> str:
    fields = payload.get("fields") if isinstance(payload, dict) else None
    if kind != "created" and isinstance(fields, dict) and fields:
        if kind == "status_change" and "status" in fields:
            return f"status → {fields['status']}"
        return f"{kind.replace('_', ' ')}: {', '.join(sorted(fields))}"
    return kind.replace("_", " ")


class LeadHistory(LeadWork):
    async def history(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> list[HistoryPoint]:
        """The score after each event, oldest first; another tenant's lead is NotFound."""
        exists = await self.session.scalar(
            sa.select(Lead.id).where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
        )
        if exists is None:
            raise NotFound("No such lead.")
        newest = (
            sa.select(LeadEvent)
            .where(LeadEvent.tenant_id == tenant_id, LeadEvent.lead_id == lead_id)
            .order_by(LeadEvent.received_at.desc(), LeadEvent.id.desc())
            .limit(MAX_HISTORY_POINTS)
        )
        events = list(await self.session.scalars(newest))
        return [
            HistoryPoint(
                time=e.received_at,
                score=e.score_after,
                temperature=temperature_value(e.temperature_after) or "",
                change=describe(e.type.value, e.payload or {}),
                score_before=e.score_before,
                breakdown=e.breakdown or {},
            )
            for e in reversed(events)
        ]
