"""API tokens: shown once when created, stored only as a SHA-256 digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, DateTimeUTC, TenantScoped


class ApiToken(TenantScoped, Base):
    __tablename__ = "api_token"

    name: Mapped[str] = mapped_column(String(200))
    # The first characters, so a person can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)
