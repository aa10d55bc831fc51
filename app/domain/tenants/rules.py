"""A tenant's scoring rules: read (cached by version), previewed, saved with an audit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.errors import InvalidInput
from app.domain.leads.models import Lead
from app.domain.scoring import DEFAULT_RULES, RuleSet, RuleSetError, Temperature
from app.domain.tenants.models import ScoringRuleSet

# Parsed rule sets by (tenant, version): a saved change bumps the version, so no entry is
# ever stale, and every process sees a change on its next read.
_parsed: dict[tuple[uuid.UUID, int], RuleSet] = {}
_MAX_CACHED = 10_000


def parse_rules(data: Any) -> RuleSet:
    """A rule set from JSON-like data, or `InvalidInput` naming the field."""
    try:
        return RuleSet.from_dict(data)
    except RuleSetError as exc:
        raise InvalidInput(f"Scoring rule {exc.field}: {exc.message}.", exc.field) from None
    except TypeError as exc:
        raise InvalidInput(f"Scoring rules are malformed: {exc}.", "rules") from None


def cached_rules(tenant_id: uuid.UUID, version: int | None, data: dict[str, Any] | None) -> RuleSet:
    if version is None or data is None:
        return DEFAULT_RULES
    key = (tenant_id, version)
    rules = _parsed.get(key)
    if rules is None:
        if len(_parsed) >= _MAX_CACHED:
            _parsed.clear()
        rules = _parsed[key] = RuleSet.from_dict(data)
    return rules


async def rules_for(session: AsyncSession, tenant_id: uuid.UUID) -> RuleSet:
    row = (
        await session.execute(
            select(ScoringRuleSet.version, ScoringRuleSet.rules).where(ScoringRuleSet.tenant_id == tenant_id)
        )
    ).first()
    return cached_rules(tenant_id, row.version, row.rules) if row else DEFAULT_RULES


async def temperature_counts(
    session: AsyncSession, tenant_id: uuid.UUID, rules: RuleSet, now: Any
) -> dict[str, int]:
    """How many of the tenant's leads fall in each temperature under `rules` (set-based)."""
    table = Lead.__table__
    temperature = rules.sql_temperature(rules.sql_score(table, now)).label("temperature")
    rows = await session.execute(
        select(temperature, func.count()).where(table.c.tenant_id == tenant_id).group_by(temperature)
    )
    counts = {t.value: 0 for t in Temperature}
    counts.update({name: n for name, n in rows.all()})
    return counts
