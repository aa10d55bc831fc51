"""Set-based re-scoring: after a rule change, and when recency points run out (the sweep).

Everything happens in SQL built from the tenant's rule (`RuleSet.sql_values`); no lead row
comes into Python. Only leads whose stored score, temperature or next boundary differ from
what the rule gives now are written, and listeners hear one reload when many moved.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from app.domain.leads.changes import RELOAD_ABOVE, ScoreChange, TenantReload, note
from app.domain.leads.queries import LeadWork, temperature_value
from app.domain.leads.statements import LEAD, rescored_values
from app.domain.scoring import RuleSet
from app.domain.tenants.rules import rules_for


class LeadRescoring(LeadWork):
    async def rescore_tenant(self, tenant_id: uuid.UUID, rules: RuleSet | None = None) -> int:
        """Re-score every lead of the tenant (a rule change, the backfill); how many changed."""
        rules = rules or await rules_for(self.session, tenant_id)
        return await self._rescore(tenant_id, rules, self.clock(), only_due=False)

    async def refresh_due(self, tenant_id: uuid.UUID) -> int:
        """Re-score the tenant's leads whose recency boundary has passed."""
        rules = await rules_for(self.session, tenant_id)
        return await self._rescore(tenant_id, rules, self.clock(), only_due=True)

    async def due_tenants(self) -> list[uuid.UUID]:
        """Tenants with a lead whose recency boundary has passed (an index range scan: when
        nothing is due it reads nothing)."""
        return list(
            (
                await self.session.scalars(
                    sa.select(LEAD.c.tenant_id).where(LEAD.c.score_valid_until <= self.clock()).distinct()
                )
            ).all()
        )

    async def _rescore(self, tenant_id: uuid.UUID, rules: RuleSet, now: datetime, *, only_due: bool) -> int:
        values = rescored_values(rules, now)
        where = [
            LEAD.c.tenant_id == tenant_id,
            sa.or_(
                LEAD.c.lead_score != values["lead_score"],
                LEAD.c.temperature != values["temperature"],
                # IS DISTINCT FROM: NULL-safe, a boundary appearing or going away counts.
                LEAD.c.score_valid_until.is_distinct_from(values["score_valid_until"]),
            ),
        ]
        if only_due:
            where.append(LEAD.c.score_valid_until <= now)
        update = (
            sa.update(LEAD)
            .where(*where)
            .values(**values)
            .returning(LEAD.c.id, LEAD.c.lead_score, LEAD.c.temperature)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            # The UPDATE runs to completion in its CTE; only the count and a few ids come back.
            changed = update.cte("changed")
            count = sa.select(sa.func.count()).select_from(changed).scalar_subquery()
            rows = (
                await self.session.execute(
                    sa.select(
                        count.label("n"), changed.c.id, changed.c.lead_score, changed.c.temperature
                    ).limit(RELOAD_ABOVE + 1)
                )
            ).all()
            total = rows[0].n if rows else 0
        else:  # SQLite has no UPDATE in a CTE; the embedded database holds few leads anyway
            rows = (await self.session.execute(update)).all()
            total = len(rows)
        if total > RELOAD_ABOVE:
            note(self.session, self.notify, [TenantReload(tenant_id, total)])
        else:
            note(
                self.session,
                self.notify,
                [
                    ScoreChange(
                        tenant_id,
                        r.id,
                        None,
                        None,
                        r.lead_score,
                        temperature_value(r.temperature) or "",
                        at=now,
                        cause="time" if only_due else "rules",
                    )
                    for r in rows
                ],
            )
        return total
