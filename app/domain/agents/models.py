"""Agents: the people who log in to the dashboard."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, TenantScoped
from app.domain.enums import Role, enum_type


class Agent(TenantScoped, Base):
    __tablename__ = "agent"

    # Logins are by email, so an email belongs to one agent across all tenants.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role, "agent_role"), default=Role.AGENT)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
