"""Leads and their events (the timeline and the audit trail)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.types import GUID, JsonB
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.agents.models import Agent
from app.domain.base import Base, DateTimeUTC, TenantScoped
from app.domain.enums import (
    EventType,
    LeadStatus,
    PaymentMethod,
    PropertyType,
    Purpose,
    TransactionType,
    enum_type,
)
from app.domain.scoring import Temperature


class Lead(TenantScoped, Base):
    __tablename__ = "lead"

    # Who
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)  # E.164
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    telegram_username: Mapped[str | None] = mapped_column(String(64), default=None)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    source: Mapped[str | None] = mapped_column(String(64), default=None)
    campaign: Mapped[str | None] = mapped_column(String(100), default=None)

    # What they want (qualification)
    budget_min: Mapped[int | None] = mapped_column(BigInteger, default=None)
    budget_max: Mapped[int | None] = mapped_column(BigInteger, default=None)
    transaction_type: Mapped[TransactionType | None] = mapped_column(
        enum_type(TransactionType, "lead_transaction_type"), default=None
    )
    property_type: Mapped[PropertyType | None] = mapped_column(
        enum_type(PropertyType, "lead_property_type"), default=None
    )
    location: Mapped[str | None] = mapped_column(String(200), default=None)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(
        enum_type(PaymentMethod, "lead_payment_method"), default=None
    )
    purpose: Mapped[Purpose | None] = mapped_column(enum_type(Purpose, "lead_purpose"), default=None)
    bedrooms: Mapped[int | None] = mapped_column(Integer, default=None)  # 0: a studio
    # Who set each profile field: {"budget_max": "message", "location": "telegram", ...}. A
    # message never overwrites a field set any other way (a button, an agent, the API).
    field_sources: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict, server_default="{}")

    # The agent's side
    status: Mapped[LeadStatus] = mapped_column(enum_type(LeadStatus, "lead_status"), default=LeadStatus.NEW)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Who owns the lead (None: nobody yet); an agent of the same agency. A claim sets it only
    # while it is None (the first claim wins); an admin may reassign or clear it.
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent.id", ondelete="SET NULL"), default=None
    )
    # selectin: the owner comes with every loaded lead in one extra query (none when unowned).
    assigned_agent: Mapped[Agent | None] = relationship(lazy="selectin", viewonly=True)
    # Won or lost: why (one of the agency's reasons) and the agent's own words.
    outcome_reason: Mapped[str | None] = mapped_column(String(100), default=None)
    outcome_note: Mapped[str | None] = mapped_column(String(500), default=None)

    # Speed-to-lead and the conversion report: set once, where the temperature or status changes.
    hot_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)  # first hot or burning
    first_contacted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)
    contacted_temperature: Mapped[Temperature | None] = mapped_column(
        enum_type(Temperature, "lead_contacted_temperature"), default=None
    )
    peak_temperature: Mapped[Temperature | None] = mapped_column(
        enum_type(Temperature, "lead_peak_temperature"), default=None
    )

    # Engagement counters: only ever changed with atomic `x = x + 1` updates
    qr_scan_count: Mapped[int] = mapped_column(Integer, default=0)
    catalog_views: Mapped[int] = mapped_column(Integer, default=0)
    messages_count: Mapped[int] = mapped_column(Integer, default=0)
    voice_messages_count: Mapped[int] = mapped_column(Integer, default=0)
    last_interaction_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)

    # The stored score; exact at `score_valid_until`'s recency boundary at the latest
    lead_score: Mapped[int] = mapped_column(Integer, default=0)
    temperature: Mapped[Temperature] = mapped_column(
        enum_type(Temperature, "lead_temperature"), default=Temperature.COLD
    )
    score_valid_until: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)

    @property
    def total_interactions(self) -> int:
        return self.qr_scan_count + self.catalog_views + self.messages_count

    __table_args__ = (
        UniqueConstraint("tenant_id", "telegram_user_id", name="uq_lead_tenant_telegram_user"),
        UniqueConstraint("tenant_id", "external_id", name="uq_lead_tenant_external_id"),
        # The lead list: best first, then newest.
        Index("ix_lead_tenant_score", "tenant_id", "lead_score", "created_at", "id"),
        # Leads whose recency points are due to drop; only those are re-scored.
        Index("ix_lead_tenant_valid_until", "tenant_id", "score_valid_until"),
        Index("ix_lead_valid_until", "score_valid_until"),
        Index("ix_lead_tenant_phone", "tenant_id", "phone"),
        # Counts per temperature (the dashboard's header) as an index-only scan.
        Index("ix_lead_tenant_temperature", "tenant_id", "temperature"),
        # "Mine": an agent's own leads.
        Index("ix_lead_tenant_assigned_agent", "tenant_id", "assigned_agent_id"),
        # The conversion report: leads created in a period.
        Index("ix_lead_tenant_created", "tenant_id", "created_at"),
    )


class LeadEvent(TenantScoped, Base):
    __tablename__ = "lead_event"

    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    type: Mapped[EventType] = mapped_column(enum_type(EventType, "lead_event_type"))
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    received_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    source: Mapped[str] = mapped_column(String(32), default="api")
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    score_before: Mapped[int] = mapped_column(Integer)
    score_after: Mapped[int] = mapped_column(Integer)
    temperature_after: Mapped[Temperature] = mapped_column(enum_type(Temperature, "event_temperature"))
    breakdown: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)

    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_lead_event_tenant_key"),
        Index("ix_lead_event_lead_time", "tenant_id", "lead_id", "occurred_at"),
    )


class LeadErasure(TenantScoped, Base):
    """What is left of an erased lead: who erased which lead id, and when; no personal data."""

    __tablename__ = "lead_erasure"

    # Not a foreign key: the lead row is gone.
    lead_id: Mapped[uuid.UUID] = mapped_column(GUID)
    erased_by: Mapped[str] = mapped_column(String(200))
    erased_at: Mapped[datetime] = mapped_column(DateTimeUTC)
