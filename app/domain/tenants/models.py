"""Tenants (agencies), their scoring rule sets and the audit of rule changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, DateTimeUTC, TenantScoped

DEFAULT_API_RATE = 50
DEFAULT_API_BURST = 100


class Tenant(Base):
    __tablename__ = "tenant"

    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="AED")
    phone_region: Mapped[str] = mapped_column(String(2), default="AE")
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Dubai")
    areas: Mapped[list[str]] = mapped_column(JsonB, default=list)
    # The agency's Telegram bot (for deep links and QR codes), e.g. MarinaHomesBot.
    bot_username: Mapped[str | None] = mapped_column(String(64), default=None)
    # The bot token, encrypted with the app's secret key (Fernet); never returned or shown.
    bot_token_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    # none, pending (not yet tried), working, rejected (Telegram refused the token)
    bot_status: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    # Each API token's rate limit: requests per second on average, and the burst above it.
    api_rate_per_second: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_API_RATE, server_default=str(DEFAULT_API_RATE)
    )
    api_burst: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_API_BURST, server_default=str(DEFAULT_API_BURST)
    )
    # Why leads are won or lost, as the agency words it; None: the default list.
    outcome_reasons: Mapped[list[str] | None] = mapped_column(JsonB, default=None)


class ScoringRuleSet(TenantScoped, Base):
    """The tenant's current rules (`app.domain.scoring.RuleSet.to_dict()`), one row a tenant."""

    __tablename__ = "scoring_rule_set"

    rules: Mapped[dict[str, Any]] = mapped_column(JsonB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (UniqueConstraint("tenant_id", name="uq_scoring_rule_set_tenant"),)


class ScoringRuleChange(TenantScoped, Base):
    """Who changed the rules, when, from what to what."""

    __tablename__ = "scoring_rule_change"

    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    old_rules: Mapped[dict[str, Any]] = mapped_column(JsonB)
    new_rules: Mapped[dict[str, Any]] = mapped_column(JsonB)
    leads_rescored: Mapped[int] = mapped_column(Integer, default=0)
