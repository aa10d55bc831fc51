"""The lead service: the one object handlers get for reading and changing leads.

Its parts each have one job: `queries` reads (never writes), `commands` changes leads and
records interactions, `rescoring` re-scores many leads in SQL. None of them commits: the unit
of work of the request, the Telegram update or the background task does.
"""

from __future__ import annotations

import uuid

from app.domain.leads.commands import LeadCommands
from app.domain.leads.erasure import LeadErasing
from app.domain.leads.history import HistoryPoint, LeadHistory
from app.domain.leads.ownership import ClaimOutcome, ClaimResult, LeadOwnership, Owner
from app.domain.leads.queries import Cursor, LeadFilters, ScoredLead
from app.domain.leads.reports import LeadReports
from app.domain.leads.rescoring import LeadRescoring
from app.domain.leads.results import InteractionResult
from app.domain.scoring import RuleSet


class LeadService(LeadCommands):
    """Reads and changes of one tenant's leads, in the caller's unit of work."""

    @property
    def rescoring(self) -> LeadRescoring:
        return LeadRescoring(self.session, self.clock, self.notify)

    async def erase(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, erased_by: str) -> None:
        """Erase the person (GDPR-style): the lead and its events; one audit line stays."""
        erasing = LeadErasing(self.session, self.clock, self.notify)
        await erasing.erase(tenant_id, lead_id, erased_by=erased_by)

    @property
    def reports(self) -> LeadReports:
        return LeadReports(self.session, self.clock, self.notify)

    async def history(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> list[HistoryPoint]:
        return await LeadHistory(self.session, self.clock, self.notify).history(tenant_id, lead_id)

    @property
    def ownership(self) -> LeadOwnership:
        return LeadOwnership(self.session, self.clock, self.notify)

    async def claim(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, agent_id: uuid.UUID) -> ClaimResult:
        """The agent takes the lead if nobody owns it (the first claim wins)."""
        return await self.ownership.claim(tenant_id, lead_id, agent_id)

    async def assign(
        self, tenant_id: uuid.UUID, lead_id: uuid.UUID, agent_id: uuid.UUID | None
    ) -> Owner | None:
        """An admin gives the lead to this agent, or to nobody."""
        return await self.ownership.assign(tenant_id, lead_id, agent_id)

    async def rescore_tenant(self, tenant_id: uuid.UUID, rules: RuleSet | None = None) -> int:
        return await self.rescoring.rescore_tenant(tenant_id, rules)

    async def refresh_due(self, tenant_id: uuid.UUID) -> int:
        return await self.rescoring.refresh_due(tenant_id)

    async def sweep(self) -> int:
        """Refresh every tenant's due leads, in this unit of work."""
        refreshed = 0
        for tenant_id in await self.rescoring.due_tenants():
            refreshed += await self.rescoring.refresh_due(tenant_id)
        return refreshed


__all__ = [
    "ClaimOutcome",
    "ClaimResult",
    "Cursor",
    "Owner",
    "InteractionResult",
    "LeadFilters",
    "LeadService",
    "ScoredLead",
]
