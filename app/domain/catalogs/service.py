"""Add catalogs, pick the one to send, remember Telegram's file id after the first upload."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.catalogs.models import Catalog
from app.domain.catalogs.pdf import check_pdf, safe_pdf_name
from app.domain.errors import InvalidInput, NotFound
from app.domain.tenants.models import Tenant
from app.domain.text import check_text

MAX_CATALOG_BYTES = 20 * 1024 * 1024  # well inside what a bot may upload (50 MB)


class CatalogService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, tenant_id: uuid.UUID, *, title: str, filename: str, data: bytes) -> Catalog:
        if await self.session.get(Tenant, tenant_id) is None:
            raise NotFound("No such agency.")
        title = check_text("title", title).strip()
        if not title or len(title) > 200:
            raise InvalidInput("The catalog needs a title (up to 200 characters).", "title")
        if len(data) > MAX_CATALOG_BYTES:
            raise InvalidInput(
                f"The catalog is larger than {MAX_CATALOG_BYTES // 2**20} MB; compress it first.", "file"
            )
        await asyncio.to_thread(check_pdf, data)
        name = safe_pdf_name(filename)
        catalog = Catalog(tenant_id=tenant_id, title=title, filename=name, size=len(data), data=data)
        self.session.add(catalog)
        await self.session.flush()
        return catalog

    async def newest(self, tenant_id: uuid.UUID) -> Catalog | None:
        return await self.session.scalar(
            sa.select(Catalog)
            .where(Catalog.tenant_id == tenant_id)
            .order_by(Catalog.created_at.desc())
            .limit(1)
        )

    async def list(self, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str, int]]:
        rows = await self.session.execute(
            sa.select(Catalog.id, Catalog.title, Catalog.filename, Catalog.size)
            .where(Catalog.tenant_id == tenant_id)
            .order_by(Catalog.created_at.desc())
        )
        return [tuple(row) for row in rows.all()]

    async def remove(self, tenant_id: uuid.UUID, catalog_id: uuid.UUID) -> None:
        result = await self.session.execute(
            sa.delete(Catalog).where(Catalog.tenant_id == tenant_id, Catalog.id == catalog_id)
        )
        if result.rowcount == 0:
            raise NotFound("No such catalog.")

    async def remember_file_id(
        self, tenant_id: uuid.UUID, catalog_id: uuid.UUID, bot_id: int, file_id: str
    ) -> None:
        await self.session.execute(
            sa.update(Catalog)
            .where(Catalog.tenant_id == tenant_id, Catalog.id == catalog_id)
            .values(telegram_bot_id=bot_id, telegram_file_id=file_id[:200])
        )
