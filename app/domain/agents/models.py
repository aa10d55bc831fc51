"""Agents: the people who log in to the dashboard; and the counters that slow down guessing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, DateTimeUTC, TenantScoped
from app.domain.enums import Role, enum_type


class Agent(TenantScoped, Base):
    __tablename__ = "agent"

    # Logins are by email, so an email belongs to one agent across all tenants.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role, "agent_role"), default=Role.AGENT)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when an admin chose the password: the agent picks their own before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa.false())


class LoginAttemptCounter(Base):
    """Recent failed logins of one account or one client address, shared by every app process."""

    __tablename__ = "login_attempt_counter"

    key: Mapped[str] = mapped_column(String(400), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_failure_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    blocked_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
