"""An agency's catalogs (PDF), kept in the database so every app process can send them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.base import Base, TenantScoped


class Catalog(TenantScoped, Base):
    __tablename__ = "catalog"

    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # Telegram's id of the uploaded file, valid for that bot only: sent again without uploading.
    telegram_bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    telegram_file_id: Mapped[str | None] = mapped_column(String(200), default=None)
