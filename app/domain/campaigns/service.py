"""Create and list campaigns, their deep links, QR codes and scan counts."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass

import segno
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.campaigns.models import Campaign
from app.domain.enums import EventType
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.leads.models import LeadEvent
from app.domain.tenants.models import Tenant
from app.domain.text import check_text

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


@dataclass(frozen=True)
class CampaignView:
    campaign: Campaign
    deep_link: str | None
    scans: int


def deep_link(bot_username: str | None, slug: str) -> str | None:
    return f"https://t.me/{bot_username}?start=qr_{slug}" if bot_username else None


def qr_png(link: str) -> bytes:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def qr_svg(link: str) -> bytes:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=10, border=4, xmldecl=True)
    return out.getvalue()


class CampaignService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, tenant_id: uuid.UUID, name: str, slug: str) -> Campaign:
        name = check_text("name", name).strip()
        slug = check_text("slug", slug).strip().lower()
        if not name or len(name) > 200:
            raise InvalidInput("The campaign needs a name (up to 200 characters).", "name")
        if not SLUG.match(slug):
            raise InvalidInput(
                "The slug is 1-40 lowercase letters, digits, '-' or '_', e.g. expo-2026-hall-a.", "slug"
            )
        taken = await self.session.scalar(
            sa.select(Campaign.id).where(Campaign.tenant_id == tenant_id, Campaign.slug == slug)
        )
        if taken is not None:
            raise Conflict(f"A campaign with the slug '{slug}' already exists.", "slug")
        campaign = Campaign(tenant_id=tenant_id, name=name, slug=slug)
        try:
            async with self.session.begin_nested():  # a concurrent twin: Conflict, and carry on
                self.session.add(campaign)
                await self.session.flush()
        except IntegrityError:
            raise Conflict(f"A campaign with the slug '{slug}' already exists.", "slug") from None
        return campaign

    async def exists(self, tenant_id: uuid.UUID, slug: str) -> bool:
        """Whether the agency made a campaign with this slug (a QR code of its own)."""
        found = await self.session.scalar(
            sa.select(Campaign.id).where(Campaign.tenant_id == tenant_id, Campaign.slug == slug)
        )
        return found is not None

    async def list(self, tenant_id: uuid.UUID) -> list[CampaignView]:
        tenant = await self.session.get(Tenant, tenant_id)
        campaigns = list(
            await self.session.scalars(
                sa.select(Campaign)
                .where(Campaign.tenant_id == tenant_id)
                .order_by(Campaign.created_at.desc())
            )
        )
        scans = await self._scans(tenant_id)
        bot = tenant.bot_username if tenant else None
        return [CampaignView(c, deep_link(bot, c.slug), scans.get(c.slug, 0)) for c in campaigns]

    async def get(self, tenant_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignView:
        campaign = await self.session.scalar(
            sa.select(Campaign).where(Campaign.tenant_id == tenant_id, Campaign.id == campaign_id)
        )
        tenant = await self.session.get(Tenant, tenant_id)
        if campaign is None:
            raise NotFound("No such campaign.")
        return CampaignView(campaign, deep_link(tenant.bot_username if tenant else None, campaign.slug), 0)

    async def set_bot_username(self, tenant_id: uuid.UUID, username: str | None) -> None:
        username = (username or "").strip().lstrip("@") or None
        if username is not None and not BOT_USERNAME.match(username):
            raise InvalidInput(
                "A Telegram bot username is 4-32 letters, digits or '_', e.g. MarinaHomesBot.", "bot_username"
            )
        await self.session.execute(
            sa.update(Tenant).where(Tenant.id == tenant_id).values(bot_username=username)
        )

    async def _scans(self, tenant_id: uuid.UUID) -> dict[str, int]:
        campaign = LeadEvent.payload["campaign"].as_string()
        rows = await self.session.execute(
            sa.select(campaign, sa.func.count())
            .where(LeadEvent.tenant_id == tenant_id, LeadEvent.type == EventType.QR_SCAN)
            .group_by(campaign)
        )
        return {slug: n for slug, n in rows.all() if slug}
