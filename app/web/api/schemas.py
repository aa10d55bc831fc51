"""What the JSON API reads and writes (msgspec structs: validated, and documented in OpenAPI)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from msgspec import UNSET, Meta, Struct, UnsetType

from app.domain.enums import LeadStatus, PaymentMethod, PropertyType, Purpose, TransactionType
from app.domain.leads.models import Lead
from app.domain.leads.profile import MAX_BEDROOMS
from app.domain.leads.queries import ScoredLead
from app.domain.scoring import Score

Text200 = Annotated[str, Meta(max_length=200)]
Amount = Annotated[int, Meta(ge=0, le=10**15)]
AwareTime = Annotated[datetime, Meta(tz=True, description="ISO-8601 with a UTC offset")]


Bedrooms = Annotated[int, Meta(ge=0, le=MAX_BEDROOMS, description="0: a studio")]


class ErrorOut(Struct):
    error: Annotated[str, Meta(examples=["phone: '12' is not a phone number."])]
    field: str | None = None


class LeadFields(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Profile fields; leave a field out to keep it, send null to clear it."""

    name: Text200 | UnsetType = UNSET
    email: Annotated[str, Meta(max_length=320)] | None | UnsetType = UNSET
    phone: (
        Annotated[str, Meta(max_length=64, examples=["+971501234567", "050 123 4567"])] | None | UnsetType
    ) = UNSET
    language: Annotated[str, Meta(max_length=16)] | None | UnsetType = UNSET
    telegram_user_id: Annotated[int, Meta(gt=0)] | None | UnsetType = UNSET
    telegram_username: Annotated[str, Meta(max_length=64)] | None | UnsetType = UNSET
    external_id: Text200 | None | UnsetType = UNSET
    source: Annotated[str, Meta(max_length=64)] | None | UnsetType = UNSET
    campaign: Annotated[str, Meta(max_length=100)] | None | UnsetType = UNSET
    budget_min: Amount | None | UnsetType = UNSET
    budget_max: Amount | None | UnsetType = UNSET
    transaction_type: TransactionType | None | UnsetType = UNSET
    property_type: PropertyType | None | UnsetType = UNSET
    location: Text200 | None | UnsetType = UNSET
    bedrooms: Bedrooms | None | UnsetType = UNSET
    payment_method: PaymentMethod | None | UnsetType = UNSET
    purpose: Purpose | None | UnsetType = UNSET
    status: LeadStatus | UnsetType = UNSET
    notes: Annotated[str, Meta(max_length=10_000)] | UnsetType = UNSET
    outcome_reason: (
        Annotated[str, Meta(max_length=100, description="One of the agency's reasons")] | None | UnsetType
    ) = UNSET
    outcome_note: Annotated[str, Meta(max_length=500)] | None | UnsetType = UNSET
    assigned_to: (
        Annotated[str, Meta(max_length=320, description="The owning agent's email; null: nobody")]
        | None
        | UnsetType
    ) = UNSET

    def given(self) -> dict[str, Any]:
        """The fields the client sent (null included)."""
        return {
            name: (value.value if hasattr(value, "value") else value)
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not UNSET
        }


class LeadOut(Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    language: str | None
    telegram_user_id: int | None
    telegram_username: str | None
    external_id: str | None
    source: str | None
    campaign: str | None
    budget_min: int | None
    budget_max: int | None
    transaction_type: str | None
    property_type: str | None
    location: str | None
    bedrooms: int | None
    payment_method: str | None
    purpose: str | None
    status: str
    notes: str
    assigned_to: str | None  # the owning agent's email
    outcome_reason: str | None
    outcome_note: str | None
    hot_at: datetime | None  # first hot or burning
    first_contacted_at: datetime | None
    lead_score: int
    temperature: str
    qr_scan_count: int
    catalog_views: int
    messages_count: int
    voice_messages_count: int
    total_interactions: int
    last_interaction_at: datetime | None
    score_valid_until: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, lead: Lead, score: Score | None = None) -> LeadOut:
        values = {name: getattr(lead, name) for name in cls.__struct_fields__ if name != "assigned_to"}
        values["assigned_to"] = lead.assigned_agent.email if lead.assigned_agent is not None else None
        for name in (
            "transaction_type",
            "property_type",
            "payment_method",
            "purpose",
            "status",
            "temperature",
        ):
            value = values[name]
            values[name] = value.value if hasattr(value, "value") else value
        if score is not None:  # the score at this moment, even between two sweeps
            values["lead_score"] = score.total
            values["temperature"] = score.temperature.value
            values["score_valid_until"] = score.next_boundary
        return cls(**values)


def lead_json(scored: ScoredLead) -> dict[str, Any]:
    """The lead as the API shows it, as plain JSON values (for webhook messages)."""
    return msgspec.to_builtins(LeadOut.of(scored.lead, scored.score))


class RuleLineOut(Struct):
    rule: str
    label: str
    points: int
    cap: int
    count: int | None
    each: int | None
    text: Annotated[str, Meta(examples=["qr scans 2 x 3 = 6 / 15"])]


class BreakdownOut(Struct):
    total: int
    temperature: str
    engagement: int
    qualification: int
    recency: int
    rules: list[RuleLineOut]
    next_boundary: datetime | None
    score_after_boundary: int | None

    @classmethod
    def of(cls, score: Score | dict[str, Any]) -> BreakdownOut:
        data = score.as_dict() if isinstance(score, Score) else score
        return msgspec.convert(data, cls)


class LeadDetailOut(LeadOut):
    score_breakdown: BreakdownOut | None = None


class EventIn(Struct, forbid_unknown_fields=True):
    type: Annotated[
        str, Meta(examples=["message"], description="qr_scan, catalog_view, message or voice_message")
    ]
    occurred_at: AwareTime | None = None
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    payload: dict[str, Any] | None = None


class EventOut(Struct):
    event_id: uuid.UUID
    lead_id: uuid.UUID
    lead_score: int
    temperature: str
    score_before: int
    duplicate: bool
    score_breakdown: BreakdownOut


class RejectedOut(Struct):
    index: int
    error: str
    field: str | None = None


class BulkOut(Struct):
    accepted: int
    duplicates: int
    rejected: list[RejectedOut]


class HistoryPointOut(Struct):
    time: datetime
    score: int
    temperature: str
    change: Annotated[str, Meta(examples=["message", "profile update: budget_max, phone"])]
    score_before: int
    breakdown: BreakdownOut | None


class ConversionOut(Struct):
    temperature: str
    leads: int
    contacted: int
    won: int
    lost: int
    conversion_rate: Annotated[float, Meta(description="won / leads, 0..1")]


class RecencyTierIn(Struct, forbid_unknown_fields=True):
    max_age_seconds: int
    points: int


class ScoringRulesIn(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A whole rule set; a field left out takes its default (SCORING.md's default rule set)."""

    qr_scan_points: int | UnsetType = UNSET
    qr_scan_cap: int | UnsetType = UNSET
    catalog_view_points: int | UnsetType = UNSET
    catalog_view_cap: int | UnsetType = UNSET
    message_points: int | UnsetType = UNSET
    message_cap: int | UnsetType = UNSET
    voice_bonus: int | UnsetType = UNSET
    phone_points: int | UnsetType = UNSET
    budget_points: int | UnsetType = UNSET
    transaction_type_points: int | UnsetType = UNSET
    property_type_points: int | UnsetType = UNSET
    location_points: int | UnsetType = UNSET
    payment_method_points: int | UnsetType = UNSET
    recency_tiers: list[RecencyTierIn] | UnsetType = UNSET
    burning_threshold: int | UnsetType = UNSET
    hot_threshold: int | UnsetType = UNSET
    warm_threshold: int | UnsetType = UNSET

    def given(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


class ScoringRulesOut(Struct):
    qr_scan_points: int
    qr_scan_cap: int
    catalog_view_points: int
    catalog_view_cap: int
    message_points: int
    message_cap: int
    voice_bonus: int
    phone_points: int
    budget_points: int
    transaction_type_points: int
    property_type_points: int
    location_points: int
    payment_method_points: int
    recency_tiers: list[RecencyTierIn]
    burning_threshold: int
    hot_threshold: int
    warm_threshold: int


class SavedRulesOut(Struct):
    rules: ScoringRulesOut
    leads_rescored: int


class TemperatureCounts(Struct):
    burning: int
    hot: int
    warm: int
    cold: int


class PreviewOut(Struct):
    current: TemperatureCounts
    proposed: TemperatureCounts


class ImportErrorOut(Struct):
    line: int
    error: str
    field: str | None = None


class ImportOut(Struct):
    created: int
    updated: int
    errors: list[ImportErrorOut]


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorOut, description=description, generate_examples=False)


API_ERRORS: dict[int, ResponseSpec] = {
    400: _error("A malformed request the server cannot read (e.g. a broken multipart upload)"),
    401: _error("No API token, or one that is not valid or was revoked"),
    403: _error("The token's scope does not cover this call; `error` names the scope needed"),
    404: _error("No such lead, or the token belongs to another agency"),
    409: _error("Conflicts with another lead (external_id, idempotency_key)"),
    413: _error("The body is too large (1 MiB; bulk and CSV import: 20 MiB)"),
    422: _error("Bad input; `field` names the field and `error` says how to fix it"),
    429: _error("Over the token's rate limit; retry after `Retry-After` seconds"),
}
