"""The SQL of the lead domain, built once.

Building a statement and its cache key on every call cost more than running it, so the
statements of the interaction path are module constants with bound parameters.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.mixins.uuid import uuid7

from app.domain.enums import EventType
from app.domain.leads.checks import COUNTERS
from app.domain.leads.milestones import sql_milestones
from app.domain.leads.models import Lead, LeadEvent
from app.domain.scoring import LeadState, RuleSet, Score
from app.domain.tenants.models import ScoringRuleSet

LEAD = Lead.__table__
EVENT = LeadEvent.__table__
RULES = ScoringRuleSet.__table__

# A plain INSERT (the dialects' ON CONFLICT variants are not cached by SQLAlchemy 2.0 and so are
# compiled on every call). On PostgreSQL an interaction is one statement of its own
# (`one_statement.py`); these serve SQLite and the bulk intake.
INSERT_EVENT = sa.insert(EVENT)

EARLIER = EVENT.alias("earlier")  # the event that first used an idempotency key
EARLIER_COLUMNS = ("id", "lead_id", "score_before", "score_after", "temperature_after", "breakdown")
_STATE = sa.select(
    *[LEAD.c[name] for name in LeadState.__dataclass_fields__],
    RULES.c.version.label("rules_version"),
    RULES.c.rules,
)
_THIS_LEAD = (LEAD.c.tenant_id == sa.bindparam("k_tenant"), LEAD.c.id == sa.bindparam("k_lead"))
_WITH_RULES = LEAD.outerjoin(RULES, RULES.c.tenant_id == LEAD.c.tenant_id)
# The lead's scoring inputs and its tenant's rules, the lead row locked until commit.
LOCKED_STATE = _STATE.select_from(_WITH_RULES).where(*_THIS_LEAD).with_for_update(of=LEAD)
# The same, with the event that already used the idempotency key (`earlier_*`), in one round trip.
LOCKED_STATE_AND_EARLIER = (
    _STATE.add_columns(*[EARLIER.c[name].label(f"earlier_{name}") for name in EARLIER_COLUMNS])
    .select_from(
        _WITH_RULES.outerjoin(
            EARLIER,
            sa.and_(
                EARLIER.c.tenant_id == sa.bindparam("k_tenant"),
                EARLIER.c.idempotency_key == sa.bindparam("k_key"),
            ),
        )
    )
    .where(*_THIS_LEAD)
    .with_for_update(of=LEAD)
)
EVENT_WITH_KEY = sa.select(*[EVENT.c[name] for name in EARLIER_COLUMNS]).where(
    EVENT.c.tenant_id == sa.bindparam("k_tenant"), EVENT.c.idempotency_key == sa.bindparam("k_key")
)

SCORED_COLUMNS = ("last_interaction_at", "lead_score", "temperature", "score_valid_until", "updated_at")
_SCORED = {name: sa.bindparam(f"v_{name}", type_=LEAD.c[name].type) for name in SCORED_COLUMNS}
RECORD_UPDATE = {
    kind: sa.update(LEAD)
    .where(*_THIS_LEAD)
    .values(
        **{name: LEAD.c[name] + 1 for name in counters},
        **_SCORED,
        **sql_milestones(
            _SCORED["temperature"], _SCORED["updated_at"], LEAD.c.hot_at, LEAD.c.peak_temperature
        ),
    )
    for kind, counters in COUNTERS.items()
}


def event_values(
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    kind: EventType,
    occurred: datetime,
    now: datetime,
    source: str,
    payload: dict[str, Any],
    key: str | None,
    score_before: int,
    after: Score,
    breakdown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One row of the events table: what happened, and the score it left behind."""
    return {
        "id": uuid7(),
        "tenant_id": tenant_id,
        "lead_id": lead_id,
        "type": kind,
        "occurred_at": occurred,
        "received_at": now,
        "source": source,
        "payload": payload,
        "idempotency_key": key,
        "score_before": score_before,
        "score_after": after.total,
        "temperature_after": after.temperature,
        "breakdown": after.as_dict() if breakdown is None else breakdown,
        "created_at": now,
        "updated_at": now,
    }


def rescored_values(rules: RuleSet, now: datetime) -> dict[str, Any]:
    """The SET of a set-based re-score. `updated_at` moves only where the score really changed,
    so paging walks and `updated_since` see exactly the leads that changed."""
    values = rules.sql_values(LEAD, now)
    changed = sa.or_(values["lead_score"] != LEAD.c.lead_score, values["temperature"] != LEAD.c.temperature)
    moved = sa.case((changed, sa.literal(now, LEAD.c.updated_at.type)), else_=LEAD.c.updated_at)
    milestones = sql_milestones(
        values["temperature"], sa.literal(now, LEAD.c.hot_at.type), LEAD.c.hot_at, LEAD.c.peak_temperature
    )
    return {**values, "updated_at": moved, **milestones}
