"""Webhook endpoints an agency registered, and each message's delivery to each of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, DateTimeUTC, TenantScoped


class WebhookEndpoint(TenantScoped, Base):
    __tablename__ = "webhook_endpoint"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    events: Mapped[list[str]] = mapped_column(JsonB)
    # The signing secret ("whsec_..."), encrypted with the app's SECRET_KEY like bot tokens.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # When deliveries started failing without a success since; None while healthy.
    failing_since: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class WebhookDelivery(BigIntAuditBase):
    """One message to one endpoint: its frozen body, and how sending it went so far."""

    __tablename__ = "webhook_delivery"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    # The Standard Webhooks message id: the same on every retry, so receivers can deduplicate.
    message_id: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)

    __table_args__ = (
        # The sender's queue: pending deliveries, per endpoint and lead, in order.
        Index(
            "ix_webhook_delivery_pending",
            "endpoint_id",
            "lead_id",
            "id",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index("ix_webhook_delivery_endpoint_recent", "endpoint_id", "id"),
    )
