"""An interaction on PostgreSQL in one statement, one round trip: the idempotency check, the
locked lead, its counters, the new score and its breakdown (computed in SQL by the tenant's
rule), the event row and the lead update.

The statement is built from the rule object (`RuleSet.sql_*`), so it scores exactly as
`RuleSet.score()` does, and it is kept per tenant, rule version and interaction kind. It
checks that the rule version it was built for is still the tenant's; if not, it changes
nothing and hands back the current rules, and the caller builds the statement again. It runs
on the asyncpg connection underneath the session, inside the session's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import driver_connection
from app.domain.enums import EventType
from app.domain.leads.checks import COUNTERS
from app.domain.leads.milestones import sql_milestones_text
from app.domain.scoring import COUNTER_FIELDS, LeadState, RuleSet
from app.domain.tenants.rules import cached_rules

_DIALECT = postgresql.dialect()
_MAX_STATEMENTS = 5_000
_statements: dict[tuple[uuid.UUID, int, EventType], str] = {}
# The rules each tenant had when this process last looked: (version, rules); 0 = no rule row.
_known_rules: dict[uuid.UUID, tuple[int, RuleSet]] = {}
_STATE_COLUMNS = tuple(LeadState.__dataclass_fields__)
_NOW = sa.literal_column("$6::timestamptz", sa.DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the statement did: recorded (scores and breakdown set), replayed (`earlier` set),
    or neither (no such lead; the rules changed; a concurrent request took the key)."""

    lead_exists: bool
    rules_version: int
    rules: Any
    earlier: dict[str, Any] | None
    score_before: int | None
    score_after: int | None
    temperature: str | None
    breakdown: dict[str, Any] | None
    recorded: bool


def _sql(expression: Any) -> str:
    return str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))


def _columns(alias: str | None) -> SimpleNamespace:
    types = {
        "last_interaction_at": sa.DateTime(timezone=True),
        **{name: sa.Integer() for name in COUNTER_FIELDS},
        "budget_min": sa.BigInteger(),
        "budget_max": sa.BigInteger(),
    }
    return SimpleNamespace(
        **{
            name: sa.literal_column(f"{alias}.{name}" if alias else name, types.get(name, sa.Text()))
            for name in _STATE_COLUMNS
        }
    )


def build_statement(rules: RuleSet, kind: EventType) -> str:
    """The statement for one kind of interaction under one rule set.

    $1 tenant, $2 lead, $3 idempotency key (or NULL), $4 the rule version it was built for,
    $5 when it happened, $6 now, $7 the event id, $8 its kind, $9 its source, $10 its payload.
    Each rule's points are computed once (`parts`), then summed and described (`scored`).
    """
    old, new = _columns("old"), _columns("new")
    grown = ", ".join(
        f"old.{name} + 1 AS {name}" if name in COUNTERS[kind] else f"old.{name}" for name in COUNTER_FIELDS
    )
    kept = ", ".join(
        f"old.{name}" for name in _STATE_COLUMNS if name not in (*COUNTER_FIELDS, "last_interaction_at")
    )
    parts = rules.sql_parts(new, _NOW)
    computed = SimpleNamespace(**{name: sa.literal_column(f"p_{name}") for name in parts})
    score_after = rules.sql_total_of(computed)
    breakdown = rules.sql_breakdown_of(computed, _columns(None))
    return f"""
WITH earlier AS (
  SELECT id, lead_id, score_before, score_after, temperature_after, breakdown
  FROM lead_event WHERE tenant_id = $1 AND idempotency_key = $3::varchar
), rules AS (
  SELECT version, rules FROM scoring_rule_set WHERE tenant_id = $1
), old AS (
  SELECT lead.* FROM lead
  WHERE lead.tenant_id = $1 AND lead.id = $2 AND NOT EXISTS (SELECT 1 FROM earlier)
    AND coalesce((SELECT version FROM rules), 0) = $4::integer
  FOR UPDATE OF lead
), new AS (
  -- A late event counts but never moves recency back (greatest() skips a NULL).
  SELECT old.id, {grown}, {kept},
         greatest(old.last_interaction_at, $5::timestamptz) AS last_interaction_at,
         {_sql(rules.sql_score(old, _NOW))} AS score_before
  FROM old
), parts AS (
  SELECT new.*, {", ".join(f"{_sql(expression)} AS p_{name}" for name, expression in parts.items())}
  FROM new
), scored AS (
  SELECT parts.*, {_sql(score_after)} AS score_after,
         {_sql(rules.sql_temperature(score_after))} AS temperature,
         p_next_boundary AS valid_until, {_sql(breakdown)} AS breakdown
  FROM parts
), inserted AS (
  INSERT INTO lead_event (id, tenant_id, lead_id, type, occurred_at, received_at, source, payload,
                          idempotency_key, score_before, score_after, temperature_after, breakdown,
                          created_at, updated_at)
  SELECT $7, $1, $2, $8::varchar, $5, $6, $9::varchar, $10::jsonb, $3::varchar,
         score_before, score_after, temperature, breakdown, $6, $6
  FROM scored
  ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
  RETURNING id
), updated AS (
  UPDATE lead SET {", ".join(f"{name} = scored.{name}" for name in COUNTER_FIELDS)},
    last_interaction_at = scored.last_interaction_at, lead_score = scored.score_after,
    temperature = scored.temperature, score_valid_until = scored.valid_until, updated_at = $6,
    {sql_milestones_text("scored.temperature", "$6::timestamptz", "lead")}
  FROM scored
  WHERE lead.tenant_id = $1 AND lead.id = scored.id AND EXISTS (SELECT 1 FROM inserted)
  RETURNING lead.id
)
SELECT EXISTS (SELECT 1 FROM lead WHERE tenant_id = $1 AND id = $2) AS lead_exists,
       coalesce((SELECT version FROM rules), 0) AS rules_version,
       CASE WHEN coalesce((SELECT version FROM rules), 0) <> $4::integer THEN (SELECT rules FROM rules) END
         AS rules,
       e.id AS earlier_id, e.lead_id AS earlier_lead_id, e.score_before AS earlier_score_before,
       e.score_after AS earlier_score_after, e.temperature_after AS earlier_temperature_after,
       e.breakdown AS earlier_breakdown,
       s.score_before, s.score_after, s.temperature, s.breakdown,
       EXISTS (SELECT 1 FROM updated) AS recorded
FROM (SELECT 1) AS one LEFT JOIN earlier AS e ON true LEFT JOIN scored AS s ON true
"""


def _statement(tenant_id: uuid.UUID, version: int, rules: RuleSet, kind: EventType) -> str:
    key = (tenant_id, version, kind)
    sql = _statements.get(key)
    if sql is None:
        if len(_statements) >= _MAX_STATEMENTS:
            _statements.clear()
        sql = _statements[key] = build_statement(rules, kind)
    return sql


async def record_in_one_statement(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    kind: EventType,
    *,
    key: str | None,
    occurred: datetime,
    now: datetime,
    event_id: uuid.UUID,
    source: str,
    payload: dict[str, Any],
) -> tuple[Outcome, RuleSet]:
    """Run the interaction's statement (twice when the tenant's rules changed meanwhile)."""
    driver = await driver_connection(session)
    version, rules = _known_rules.get(tenant_id, (-1, cached_rules(tenant_id, None, None)))
    body = msgspec.json.encode(payload).decode()
    for _ in range(2):
        row = await driver.fetchrow(
            _statement(tenant_id, version, rules, kind),
            tenant_id, lead_id, key, version, occurred, now, event_id, kind.value, source, body,
        )  # fmt: skip
        outcome = Outcome(
            lead_exists=row["lead_exists"],
            rules_version=row["rules_version"],
            rules=row["rules"],
            earlier=_earlier(row),
            score_before=row["score_before"],
            score_after=row["score_after"],
            temperature=row["temperature"],
            breakdown=row["breakdown"],
            recorded=row["recorded"],
        )
        if outcome.earlier is not None or not outcome.lead_exists or outcome.rules_version == version:
            return outcome, rules
        version = outcome.rules_version  # the rules changed: build for the new ones, try again
        rules = cached_rules(tenant_id, version or None, outcome.rules if version else None)
        _known_rules[tenant_id] = (version, rules)
    return outcome, rules


def _earlier(row: Any) -> dict[str, Any] | None:
    if row["earlier_id"] is None:
        return None
    return {
        "id": uuid.UUID(str(row["earlier_id"])),
        "lead_id": uuid.UUID(str(row["earlier_lead_id"])),
        "score_before": row["earlier_score_before"],
        "score_after": row["earlier_score_after"],
        "temperature_after": row["earlier_temperature_after"],
        "breakdown": row["earlier_breakdown"],
    }
