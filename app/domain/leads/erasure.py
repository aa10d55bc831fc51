"""Erasing a person on request: the lead and everything recorded about them (its events, which
hold their messages, voice-note references and catalog views; messages about them waiting in
the outbox and webhook deliveries, whose bodies hold the lead), leaving one audit line."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.domain.errors import NotFound
from app.domain.leads.models import Lead, LeadErasure, LeadEvent
from app.domain.leads.queries import LeadWork
from app.domain.outbox.models import OutboxMessage
from app.domain.webhooks.models import WebhookDelivery


class LeadErasing(LeadWork):
    async def erase(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, erased_by: str) -> None:
        """Delete the lead and its events; NotFound when the tenant has no such lead."""
        for table in (LeadEvent, OutboxMessage, WebhookDelivery):
            await self.session.execute(
                sa.delete(table).where(table.tenant_id == tenant_id, table.lead_id == lead_id)
            )
        deleted = await self.session.execute(
            sa.delete(Lead).where(Lead.tenant_id == tenant_id, Lead.id == lead_id).returning(Lead.id)
        )
        if deleted.first() is None:
            raise NotFound("No such lead.")
        self.session.add(
            LeadErasure(tenant_id=tenant_id, lead_id=lead_id, erased_by=erased_by, erased_at=self.clock())
        )
        await self.session.flush()

    async def erasures(self, tenant_id: uuid.UUID, limit: int = 50) -> list[LeadErasure]:
        return list(
            await self.session.scalars(
                sa.select(LeadErasure)
                .where(LeadErasure.tenant_id == tenant_id)
                .order_by(LeadErasure.erased_at.desc())
                .limit(limit)
            )
        )
