"""Campaigns: a printed QR code per expo booth or flyer, each a Telegram deep link."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, TenantScoped


class Campaign(TenantScoped, Base):
    __tablename__ = "campaign"

    name: Mapped[str] = mapped_column(String(200))
    # The deep-link payload is `qr_<slug>`; Telegram allows [A-Za-z0-9_-] and 64 characters.
    slug: Mapped[str] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("tenant_id", "slug", name="uq_campaign_tenant_slug"),)
