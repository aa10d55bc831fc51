"""The declarative base every model shares; its metadata is what Alembic migrates."""

from __future__ import annotations

import uuid

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

__all__ = ["Base", "DateTimeUTC", "TenantScoped"]

Base = UUIDv7AuditBase


class TenantScoped:
    """Every tenant-owned row carries `tenant_id`; every query filters on it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True, nullable=False)
