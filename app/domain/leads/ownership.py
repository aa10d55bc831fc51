"""Who owns a lead: an agent claims an unowned one (the first claim wins), an admin assigns.

A claim is one conditional UPDATE (`... WHERE assigned_agent_id IS NULL RETURNING`): of two
claims at once, the second waits for the first's row lock, finds the lead owned and changes
nothing, on PostgreSQL and on SQLite alike. Usable from any unit of work (a request, a
Telegram update): given the tenant, the lead and the agent, it answers with a `ClaimResult`.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from app.domain.agents.models import Agent
from app.domain.errors import InvalidInput, NotFound
from app.domain.leads.changes import ScoreChange, assigned_message, note
from app.domain.leads.models import Lead
from app.domain.leads.queries import LeadWork, temperature_value
from app.domain.outbox.writer import queue


class ClaimOutcome(enum.StrEnum):
    CLAIMED = "claimed"  # it is now this agent's
    ALREADY_YOURS = "already_yours"  # this agent owned it before
    TAKEN = "taken"  # another agent owns it


@dataclass(frozen=True, slots=True)
class Owner:
    id: uuid.UUID
    email: str
    name: str

    @property
    def display(self) -> str:
        return self.name or self.email


@dataclass(frozen=True, slots=True)
class ClaimResult:
    outcome: ClaimOutcome
    owner: Owner

    @property
    def claimed(self) -> bool:
        return self.outcome is ClaimOutcome.CLAIMED


def _owner(agent: Agent) -> Owner:
    return Owner(agent.id, agent.email, agent.name)


class LeadOwnership(LeadWork):
    async def claim(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, agent_id: uuid.UUID) -> ClaimResult:
        """Make the lead this agent's if nobody owns it; otherwise say who does."""
        agent = await self._agent(tenant_id, agent_id)
        for _ in range(2):  # twice: the owner may be deleted between the UPDATE and the look
            if await self._set_owner(tenant_id, lead_id, agent, only_if_unowned=True):
                return ClaimResult(ClaimOutcome.CLAIMED, _owner(agent))
            owner = await self.session.scalar(
                sa.select(Agent)
                .join(Lead, Lead.assigned_agent_id == Agent.id)
                .where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
            )
            if owner is not None:
                outcome = ClaimOutcome.ALREADY_YOURS if owner.id == agent.id else ClaimOutcome.TAKEN
                return ClaimResult(outcome, _owner(owner))
            if not await self._exists(tenant_id, lead_id):
                break
        raise NotFound("No such lead.")

    async def assign(
        self, tenant_id: uuid.UUID, lead_id: uuid.UUID, agent_id: uuid.UUID | None
    ) -> Owner | None:
        """An admin's call: the lead is this agent's (None: nobody's), whoever had it."""
        agent = await self._agent(tenant_id, agent_id) if agent_id is not None else None
        if not await self._set_owner(tenant_id, lead_id, agent, only_if_unowned=False):
            raise NotFound("No such lead.")
        return _owner(agent) if agent is not None else None

    async def agent_by_email(self, tenant_id: uuid.UUID, email: str) -> uuid.UUID:
        """The id of this agency's active agent with this email; InvalidInput otherwise (the
        API's `assigned_to`: another agency's agent is as unknown as nobody)."""
        agent = await self.session.scalar(
            sa.select(Agent).where(Agent.tenant_id == tenant_id, Agent.email == email.strip().lower())
        )
        if agent is None:
            raise InvalidInput(
                f"assigned_to: no agent of this agency has the email {email[:80]}.", "assigned_to"
            )
        if not agent.is_active:
            raise InvalidInput(f"assigned_to: the agent {agent.email} is deactivated.", "assigned_to")
        return agent.id

    async def _exists(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            sa.select(Lead.id).where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
        )
        return found is not None

    async def _agent(self, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
        agent = await self.session.scalar(
            sa.select(Agent).where(Agent.tenant_id == tenant_id, Agent.id == agent_id)
        )
        if agent is None:
            raise InvalidInput("No such agent in this agency.", "assigned_to")
        if not agent.is_active:
            raise InvalidInput(f"The agent {agent.email} is deactivated.", "assigned_to")
        return agent

    async def _set_owner(
        self, tenant_id: uuid.UUID, lead_id: uuid.UUID, agent: Agent | None, *, only_if_unowned: bool
    ) -> bool:
        agent_id = agent.id if agent is not None else None
        where = [Lead.tenant_id == tenant_id, Lead.id == lead_id]
        if only_if_unowned:
            where.append(Lead.assigned_agent_id.is_(None))
        row = (
            await self.session.execute(
                sa.update(Lead)
                .where(*where)
                .values(assigned_agent_id=agent_id, updated_at=self.clock())
                .returning(Lead.lead_score, Lead.temperature)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if row is None:
            return False
        t = temperature_value(row.temperature) or ""
        # The card shows the owner: open dashboards redraw it after the commit.
        note(
            self.session, self.notify, [ScoreChange(tenant_id, lead_id, row.lead_score, t, row.lead_score, t)]
        )
        email = agent.email if agent is not None else None
        queue(self.session, [assigned_message(tenant_id, lead_id, email, self.clock())])
        return True
