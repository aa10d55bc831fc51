"""API tokens: shown once when created, stored only as a SHA-256 digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, DateTimeUTC, TenantScoped
from app.domain.tokens.scopes import DEFAULT_SCOPE


class ApiToken(TenantScoped, Base):
    __tablename__ = "api_token"

    name: Mapped[str] = mapped_column(String(200))
    # The first characters, so a person can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)
    # Written at most once a minute (app.domain.tokens.limits), so reads stay cheap.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, default=None)
    scope: Mapped[str] = mapped_column(
        String(8), default=DEFAULT_SCOPE.value, server_default=DEFAULT_SCOPE.value
    )
    # The token bucket shared by every app process: tokens left at `bucket_at` (seconds since
    # the epoch; NULL: never used, the bucket is full) and what the last refill handed out.
    bucket_tokens: Mapped[float | None] = mapped_column(Float, default=None)
    bucket_at: Mapped[float | None] = mapped_column(Float, default=None)
    bucket_grant: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
