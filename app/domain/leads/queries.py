"""Reading leads: one lead, the list with its filters and cursor, counts, the timeline.

Reads never write. The score a reader sees is computed from the stored inputs and the clock
with the tenant's rule, so it is exact at the moment of reading; the stored score (and so the
list's order and the temperature filter and counts) follows within one sweep interval.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import Clock, system_clock
from app.domain.enums import EventType, LeadStatus
from app.domain.errors import InvalidInput, NotFound
from app.domain.leads.changes import ScoreNotifier
from app.domain.leads.models import Lead, LeadEvent
from app.domain.leads.profile import clean_profile
from app.domain.scoring import LeadState, Score, Temperature
from app.domain.tenants.models import Tenant
from app.domain.tenants.rules import rules_for

MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class ScoredLead:
    """A lead with its score at the moment it was read."""

    lead: Lead
    score: Score


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a walk through the lead list stands: the last lead returned, and when it began."""

    walk_started_at: datetime
    score: int
    created_at: datetime
    lead_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class LeadFilters:
    temperatures: Sequence[str] = ()
    statuses: Sequence[str] = ()
    query: str | None = None
    updated_since: datetime | None = None
    assigned_agent_id: uuid.UUID | None = None  # "mine": this agent's leads only
    limit: int = 50
    after: Cursor | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        where: list[sa.ColumnElement[bool]] = []
        if self.temperatures:
            where.append(Lead.temperature.in_(_members(Temperature, self.temperatures, "temperature")))
        if self.statuses:
            where.append(Lead.status.in_(_members(LeadStatus, self.statuses, "status")))
        if self.query and self.query.strip():
            needle = self.query.replace("\x00", "").strip()[:MAX_QUERY]
            # Phones are stored as E.164: a national "050 ..." is searched without its 0.
            digits = "".join(ch for ch in needle if ch.isdigit()).lstrip("0")
            match = Lead.name.ilike(f"%{_escape_like(needle)}%", escape="\\")
            if len(digits) >= 3:
                match = sa.or_(match, Lead.phone.contains(digits))
            where.append(match)
        if self.updated_since is not None:
            where.append(Lead.updated_at >= self.updated_since)
        if self.assigned_agent_id is not None:
            where.append(Lead.assigned_agent_id == self.assigned_agent_id)
        if self.after is not None:
            a = self.after
            where.append(Lead.updated_at <= a.walk_started_at)
            where.append(
                sa.tuple_(Lead.lead_score, Lead.created_at, Lead.id)
                < sa.tuple_(
                    sa.literal(a.score, Lead.lead_score.type),
                    sa.literal(a.created_at, Lead.created_at.type),
                    sa.literal(a.lead_id, Lead.id.type),
                )
            )
        return where


class LeadWork:
    """What every part of the lead service works with: the unit of work's session, the clock,
    and whom to tell about committed changes."""

    def __init__(
        self, session: AsyncSession, clock: Clock = system_clock, notify: ScoreNotifier | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self.notify = notify


class LeadQueries(LeadWork):
    async def get(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> ScoredLead:
        """The lead with its live score and breakdown; another tenant's lead is NotFound."""
        # Counters change through Core updates, so never trust a copy already in the session.
        lead = await self.session.scalar(
            sa.select(Lead)
            .where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
            .execution_options(populate_existing=True)
        )
        if lead is None:
            raise NotFound("No such lead.")
        rules = await rules_for(self.session, tenant_id)
        return ScoredLead(lead, rules.score(LeadState.of(lead), self.clock()))

    async def many(self, tenant_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]) -> list[ScoredLead]:
        """These leads of the tenant (others' and unknown ids are left out), scored now."""
        if not lead_ids:
            return []
        leads = await self.session.scalars(
            sa.select(Lead)
            .where(Lead.tenant_id == tenant_id, Lead.id.in_(list(lead_ids)))
            .execution_options(populate_existing=True)
        )
        return await self._scored(tenant_id, list(leads))

    async def list(
        self, tenant_id: uuid.UUID, filters: LeadFilters | None = None, **kwargs: Any
    ) -> list[ScoredLead]:
        """Leads ordered by stored score, then newest, then id (a total order), each scored now.

        A page after `filters.after` belongs to a walk that started at `after.walk_started_at`:
        leads changed since then are left out, so a walk never returns a lead twice, and every
        lead that did not change keeps its place (none is skipped).
        """
        filters = filters or LeadFilters(**kwargs)
        stmt = (
            sa.select(Lead)
            .where(Lead.tenant_id == tenant_id, *filters.conditions())
            .order_by(Lead.lead_score.desc(), Lead.created_at.desc(), Lead.id.desc())
            .limit(filters.limit)
            .execution_options(populate_existing=True)
        )
        return await self._scored(tenant_id, list(await self.session.scalars(stmt)))

    async def _scored(self, tenant_id: uuid.UUID, leads: list[Lead]) -> list[ScoredLead]:
        if not leads:
            return []
        rules = await rules_for(self.session, tenant_id)
        now = self.clock()
        return [ScoredLead(lead, rules.score(LeadState.of(lead), now)) for lead in leads]

    async def temperature_counts(self, tenant_id: uuid.UUID) -> dict[str, int]:
        """How many of the tenant's leads are in each temperature (as of the last sweep)."""
        rows = await self.session.execute(
            sa.select(Lead.temperature, sa.func.count())
            .where(Lead.tenant_id == tenant_id)
            .group_by(Lead.temperature)
        )
        counts = {t.value: 0 for t in Temperature}
        counts.update({temperature_value(t): n for t, n in rows.all()})
        return counts

    async def timeline(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, limit: int = 200) -> list[LeadEvent]:
        """The lead's events, newest first (interactions, edits, status changes)."""
        return list(
            await self.session.scalars(
                sa.select(LeadEvent)
                .where(LeadEvent.tenant_id == tenant_id, LeadEvent.lead_id == lead_id)
                .order_by(LeadEvent.occurred_at.desc(), LeadEvent.received_at.desc())
                .limit(limit)
            )
        )

    async def voice_file_id(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, event_id: uuid.UUID) -> str:
        """Telegram's file id of a voice note the lead sent; NotFound for anything else."""
        payload = await self.session.scalar(
            sa.select(LeadEvent.payload).where(
                LeadEvent.tenant_id == tenant_id,
                LeadEvent.lead_id == lead_id,
                LeadEvent.id == event_id,
                LeadEvent.type == EventType.VOICE_MESSAGE,
            )
        )
        file_id = (payload or {}).get("file_id")
        if not isinstance(file_id, str):
            raise NotFound("No such voice note.")
        return file_id

    async def telegram_lead_id(self, tenant_id: uuid.UUID, telegram_user_id: int) -> uuid.UUID | None:
        return await self.session.scalar(
            sa.select(Lead.id).where(Lead.tenant_id == tenant_id, Lead.telegram_user_id == telegram_user_id)
        )

    async def telegram_language(self, tenant_id: uuid.UUID, telegram_user_id: int) -> str | None:
        """The language a Telegram lead picked earlier (kept on the lead across restarts)."""
        return await self.session.scalar(
            sa.select(Lead.language).where(
                Lead.tenant_id == tenant_id, Lead.telegram_user_id == telegram_user_id
            )
        )

    async def find_existing(self, tenant_id: uuid.UUID, profile: Mapping[str, Any]) -> uuid.UUID | None:
        """The lead an incoming record refers to: same external_id, or failing that, same phone."""
        tenant = await self.tenant(tenant_id)
        fields = clean_profile(
            {k: profile[k] for k in ("external_id", "phone") if k in profile}, tenant.phone_region
        )
        for key in ("external_id", "phone"):
            if fields.get(key):
                found = await self.session.scalar(
                    sa.select(Lead.id)
                    .where(Lead.tenant_id == tenant_id, getattr(Lead, key) == fields[key])
                    .order_by(Lead.created_at)
                    .limit(1)
                )
                if found is not None:
                    return found
        return None

    async def tenant(self, tenant_id: uuid.UUID) -> Tenant:
        tenant = await self.session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound("No such agency.")
        return tenant


def temperature_value(value: Any) -> str | None:
    return value.value if isinstance(value, Temperature) else value


def _members(enum_cls: type[Any], values: Sequence[str], field: str) -> list[Any]:
    try:
        return [enum_cls(v) for v in values]
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise InvalidInput(f"{field} must be one or more of: {allowed}.", field) from None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
