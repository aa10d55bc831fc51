"""What a message's text tells about the lead, and which of it may be set.

A message is the weakest source of a field: it fills what nothing else set and what an
earlier message set, never what a button, an agent or the API set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.enums import EventType
from app.domain.errors import InvalidInput
from app.domain.extraction import Extraction, extract
from app.domain.leads.profile import clean_profile
from app.domain.tenants.models import Tenant

MESSAGE_SOURCE = "message"  # the field_sources value of a field read from a message


@dataclass(frozen=True, slots=True)
class Reading:
    extraction: Extraction
    fields: dict[str, Any]  # the stated fields, cleaned like any profile change

    def record(self, applied: Mapping[str, Any]) -> dict[str, Any]:
        """The event payload's `read`: everything stated, what was set, the timeline's line."""
        return {
            "fields": _jsonable(self.fields),
            "applied": sorted(applied),
            "summary": self.extraction.summary(),
        }


def read_message(kind: EventType, payload: Mapping[str, Any], tenant: Tenant) -> Reading | None:
    """The fields a message event's text states; None when it has no text or states nothing."""
    text = payload.get("text") if kind is EventType.MESSAGE else None
    if not isinstance(text, str) or not text.strip():
        return None
    extraction = extract(
        text, known_areas=tenant.areas or (), default_region=tenant.phone_region, currency=tenant.currency
    )
    if not extraction:
        return None
    try:
        fields = clean_profile(_jsonable(extraction.values()), tenant.phone_region)
    except InvalidInput:  # a reading that is no valid value (too long a name...) is no reading
        return None
    return Reading(extraction, fields) if fields else None


def named_area(text: str, tenant: Tenant) -> str | None:
    """The area `text` names (one of the agency's, or of the market's), canonically spelled."""
    found = extract(text, known_areas=tenant.areas or (), default_region=tenant.phone_region).location
    return found.value if found is not None else None


def settable(fields: Mapping[str, Any], sources: Mapping[str, str], current: Any) -> dict[str, Any]:
    """The fields a message may set on `current` (the lead): the empty ones and those an earlier
    message set. A value of unknown source (kept from before sources were recorded) stays.

    A budget that would put the minimum above the maximum is left out (the rest still counts).
    """
    allowed = {
        k: v for k, v in fields.items() if getattr(current, k) is None or sources.get(k) == MESSAGE_SOURCE
    }
    low = allowed.get("budget_min", current.budget_min)
    high = allowed.get("budget_max", current.budget_max)
    if low is not None and high is not None and low > high:
        allowed.pop("budget_min", None)
        allowed.pop("budget_max", None)
    return allowed


def _jsonable(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}
