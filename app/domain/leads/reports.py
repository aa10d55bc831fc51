"""Is the score right? Conversion by temperature and speed-to-lead, for leads created in a period.

A lead counts in the band it had when it was first contacted, or in its peak band if nobody
contacted it (leads from before these were recorded: the band they have now). Reads only.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.domain.agents.models import Agent
from app.domain.enums import LeadStatus
from app.domain.leads.models import Lead
from app.domain.leads.queries import LeadWork, temperature_value
from app.domain.scoring import Temperature

# Bands with fewer leads than this are too small to call "out of order".
MIN_BAND_LEADS = 5
BANDS = (Temperature.BURNING, Temperature.HOT, Temperature.WARM, Temperature.COLD)


@dataclass(frozen=True, slots=True)
class BandConversion:
    temperature: str
    leads: int
    contacted: int
    won: int
    lost: int

    @property
    def conversion_rate(self) -> float:
        """Won out of all the band's leads (0 for an empty band)."""
        return round(self.won / self.leads, 4) if self.leads else 0.0


@dataclass(frozen=True, slots=True)
class OutOfOrder:
    """A hotter band converting worse than cooler ones."""

    hotter: BandConversion
    coolers: tuple[BandConversion, ...]


@dataclass(frozen=True, slots=True)
class AgentSpeed:
    agent_id: uuid.UUID | None  # None: leads nobody owns
    name: str
    median_seconds: float
    leads: int


@dataclass(frozen=True, slots=True)
class SpeedToLead:
    """Median time from turning hot or burning to the first contact."""

    median_seconds: float | None
    leads: int
    agents: list[AgentSpeed]


def out_of_order(bands: list[BandConversion]) -> list[OutOfOrder]:
    """Each band (big enough to judge) that converts worse than cooler ones, with those."""
    judged = [b for b in bands if b.leads >= MIN_BAND_LEADS]
    found = []
    for i, hot in enumerate(judged):
        coolers = tuple(cool for cool in judged[i + 1 :] if hot.conversion_rate < cool.conversion_rate)
        if coolers:
            found.append(OutOfOrder(hot, coolers))
    return found


def _band() -> sa.ColumnElement[str]:
    return sa.func.coalesce(Lead.contacted_temperature, Lead.peak_temperature, Lead.temperature)


class LeadReports(LeadWork):
    async def conversion(self, tenant_id: uuid.UUID, start: datetime, end: datetime) -> list[BandConversion]:
        """One row per temperature, hottest first, for leads created in [start, end)."""
        band = _band().label("band")
        rows = await self.session.execute(
            sa.select(
                band,
                sa.func.count(),
                sa.func.count(Lead.first_contacted_at),
                sa.func.sum(sa.case((Lead.status == LeadStatus.WON, 1), else_=0)),
                sa.func.sum(sa.case((Lead.status == LeadStatus.LOST, 1), else_=0)),
            )
            .where(Lead.tenant_id == tenant_id, Lead.created_at >= start, Lead.created_at < end)
            .group_by(band)
        )
        found = {temperature_value(r[0]): r for r in rows.all()}
        result = []
        for t in BANDS:
            r = found.get(t.value)
            counts = (int(r[1]), int(r[2]), int(r[3] or 0), int(r[4] or 0)) if r else (0, 0, 0, 0)
            result.append(BandConversion(t.value, *counts))
        return result

    async def speed_to_lead(self, tenant_id: uuid.UUID, start: datetime, end: datetime) -> SpeedToLead:
        """Medians over the leads created in [start, end) that turned hot, then were contacted;
        per agent by who owns the lead now."""
        rows = (
            await self.session.execute(
                sa.select(
                    Lead.hot_at, Lead.first_contacted_at, Lead.assigned_agent_id, Agent.name, Agent.email
                )
                .outerjoin(Agent, Agent.id == Lead.assigned_agent_id)
                .where(
                    Lead.tenant_id == tenant_id,
                    Lead.created_at >= start,
                    Lead.created_at < end,
                    Lead.hot_at.is_not(None),
                    Lead.first_contacted_at >= Lead.hot_at,
                )
            )
        ).all()
        per_agent: dict[uuid.UUID | None, tuple[str, list[float]]] = {}
        every: list[float] = []
        for hot_at, contacted_at, agent_id, name, email in rows:
            seconds = (contacted_at - hot_at).total_seconds()
            every.append(seconds)
            per_agent.setdefault(agent_id, (name or email or "", []))[1].append(seconds)
        agents = sorted(
            (
                AgentSpeed(agent_id, name, statistics.median(times), len(times))
                for agent_id, (name, times) in per_agent.items()
            ),
            key=lambda a: (a.agent_id is None, a.median_seconds),
        )
        return SpeedToLead(statistics.median(every) if every else None, len(every), agents)
