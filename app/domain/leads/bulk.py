"""Many interactions in one transaction, applied set-based: for imports and integrations.

Each item names its lead by `lead_id` or `external_id`. Bad items are rejected with their
index and a message; the rest are applied together: a locking read of the leads, each lead
scored once for all its events, the events written with COPY on PostgreSQL, and one
`UPDATE ... FROM unnest(...)` of the leads.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import driver_connection
from app.domain.clock import Clock, system_clock
from app.domain.enums import EventType
from app.domain.errors import DomainError, InvalidInput
from app.domain.leads.changes import ScoreChange, ScoreNotifier, note
from app.domain.leads.checks import (
    API_EVENT_TYPES,
    after_interaction,
    check_idempotency_key,
    check_occurred_at,
    interaction_type,
)
from app.domain.leads.milestones import sql_milestones, sql_milestones_text
from app.domain.leads.payloads import check_payload
from app.domain.leads.results import KEY_OF_ANOTHER_LEAD
from app.domain.leads.statements import EVENT, INSERT_EVENT, LEAD, event_values
from app.domain.scoring import COUNTER_FIELDS, LeadState
from app.domain.tenants.rules import rules_for
from app.domain.text import check_text, clean_payload

MAX_BULK_EVENTS = 10_000
_EVENT_COLUMNS = [name for name in EVENT.c.keys() if name != "sa_orm_sentinel"]
_JSON_COLUMNS = frozenset({"payload", "breakdown"})
_CHUNK = 1_000  # keeps IN lists and parameter counts inside every database's limits


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    error: str
    field: str | None = None


@dataclass(slots=True)
class BulkResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Item:
    index: int
    lead_id: uuid.UUID | None
    external_id: str | None
    kind: EventType
    occurred_at: datetime
    key: str | None
    payload: dict[str, Any]


class _KeyRace(Exception):
    """Another transaction used one of our idempotency keys between our check and insert."""


class BulkIntake:
    def __init__(
        self, session: AsyncSession, clock: Clock = system_clock, notify: ScoreNotifier | None = None
    ):
        self.session = session
        self.clock = clock
        self.notify = notify

    async def record_many(
        self, tenant_id: uuid.UUID, raw_items: Sequence[Any], *, source: str = "bulk"
    ) -> BulkResult:
        if len(raw_items) > MAX_BULK_EVENTS:
            raise InvalidInput(f"At most {MAX_BULK_EVENTS} events per request; split the import.", "events")
        now = self.clock()
        result = BulkResult()
        items = []
        for index, raw in enumerate(raw_items):
            try:
                items.append(_parse(index, raw, now))
            except DomainError as exc:
                result.rejected.append(Rejected(index, exc.message, exc.field))
        for attempt in range(2):
            try:
                # A savepoint: when a concurrent request takes one of our keys, only this
                # attempt is undone and the second one sees that key as a duplicate.
                async with self.session.begin_nested():
                    outcome = await self._apply(tenant_id, items, now, source)
                break
            except _KeyRace:
                if attempt == 1:
                    raise
        applied, duplicates, rejected, changes = outcome
        result.accepted, result.duplicates = applied, duplicates
        result.rejected = sorted(result.rejected + rejected, key=lambda r: r.index)
        note(self.session, self.notify, changes)
        return result

    async def _apply(
        self, tenant_id: uuid.UUID, items: list[_Item], now: datetime, source: str
    ) -> tuple[int, int, list[Rejected], list[ScoreChange]]:
        rejected: list[Rejected] = []
        lead_ids = await self._resolve(tenant_id, items)
        states = await self._lock(tenant_id, sorted(set(lead_ids.values())))
        rules = await rules_for(self.session, tenant_id)
        seen = await self._existing_keys(tenant_id, [i.key for i in items if i.key])

        per_lead: dict[uuid.UUID, list[_Item]] = defaultdict(list)
        duplicates = 0
        for item in items:
            lead_id = lead_ids.get(item.index)
            if lead_id is None:
                rejected.append(
                    Rejected(item.index, "No such lead.", "lead_id" if item.lead_id else "external_id")
                )
            elif item.key is not None and item.key in seen:
                if seen[item.key] == lead_id:
                    duplicates += 1
                else:  # as the single endpoint answers: a conflict, not a duplicate
                    rejected.append(Rejected(item.index, KEY_OF_ANOTHER_LEAD, "idempotency_key"))
            else:
                if item.key is not None:
                    seen[item.key] = lead_id
                per_lead[lead_id].append(item)

        event_rows: list[dict[str, Any]] = []
        lead_rows: list[dict[str, Any]] = []
        changes: list[ScoreChange] = []
        for lead_id, lead_items in per_lead.items():
            # One score computation per lead: its events apply together, in the order they
            # happened, and each event row carries the lead's score before and after the batch
            # (the last one also the breakdown).
            original = state = states[lead_id]
            ordered = sorted(lead_items, key=lambda i: i.occurred_at)
            for item in ordered:
                state = after_interaction(state, item.kind, item.occurred_at)
            first, last = rules.score(original, now), rules.score(state, now)
            for position, item in enumerate(ordered, 1):
                breakdown = last.as_dict() if position == len(ordered) else {}
                event_rows.append(
                    event_values(
                        tenant_id,
                        lead_id,
                        item.kind,
                        item.occurred_at,
                        now,
                        source,
                        item.payload,
                        item.key,
                        first.total,
                        last,
                        breakdown,
                    )
                )
            lead_rows.append(
                {
                    "b_tenant": tenant_id,
                    "b_id": lead_id,
                    **{
                        f"b_{name}": getattr(state, name) - getattr(original, name) for name in COUNTER_FIELDS
                    },
                    "b_last": state.last_interaction_at,
                    "b_score": last.total,
                    "b_temperature": last.temperature.value,
                    "b_valid_until": last.next_boundary,
                    "b_now": now,
                }
            )
            changes.append(
                ScoreChange(
                    tenant_id,
                    lead_id,
                    first.total,
                    first.temperature.value,
                    last.total,
                    last.temperature.value,
                    at=now,
                    cause=ordered[-1].kind.value,
                    breakdown=last.as_dict(),
                )
            )

        if event_rows:
            try:
                await self._insert_events(event_rows)
            except (IntegrityError, asyncpg.UniqueViolationError) as exc:  # a key taken meanwhile
                raise _KeyRace from exc
            await self._update_leads(tenant_id, now, lead_rows)
        return len(event_rows), duplicates, rejected, changes

    async def _insert_events(self, rows: list[dict[str, Any]]) -> None:
        """On PostgreSQL with COPY (binary, one stream for all rows); elsewhere a multi-row insert."""
        if self.session.get_bind().dialect.name != "postgresql":
            await self.session.execute(INSERT_EVENT, rows)
            return
        json = msgspec.json.Encoder()
        records = [
            tuple(
                json.encode(row[name]).decode() if name in _JSON_COLUMNS else row[name]
                for name in _EVENT_COLUMNS
            )
            for row in rows
        ]
        driver = await driver_connection(self.session)
        await driver.copy_records_to_table("lead_event", records=records, columns=_EVENT_COLUMNS)

    async def _update_leads(self, tenant_id: uuid.UUID, now: datetime, rows: list[dict[str, Any]]) -> None:
        """Counters grow atomically; on PostgreSQL one UPDATE ... FROM unnest(arrays) for all leads."""
        if self.session.get_bind().dialect.name != "postgresql":
            await self.session.execute(_UPDATE_LEAD, rows)
            return
        arrays = {
            "id": [r["b_id"] for r in rows],
            **{name: [r[f"b_{name}"] for r in rows] for name in COUNTER_FIELDS},
            "last": [r["b_last"] for r in rows],
            "score": [r["b_score"] for r in rows],
            "temperature": [r["b_temperature"] for r in rows],
            "valid_until": [r["b_valid_until"] for r in rows],
        }
        await self.session.execute(_UPDATE_LEADS_FROM_ARRAYS, {"tenant_id": tenant_id, "now": now, **arrays})

    async def _resolve(self, tenant_id: uuid.UUID, items: list[_Item]) -> dict[int, uuid.UUID]:
        """Item index -> lead id, for the items whose lead exists in this tenant."""
        ids = {i.lead_id for i in items if i.lead_id}
        externals = {i.external_id for i in items if i.external_id}
        known_ids: set[uuid.UUID] = set()
        by_external: dict[str, uuid.UUID] = {}
        for chunk in _chunks(sorted(ids)):
            rows = await self.session.scalars(
                sa.select(LEAD.c.id).where(LEAD.c.tenant_id == tenant_id, LEAD.c.id.in_(chunk))
            )
            known_ids.update(rows)
        for chunk in _chunks(sorted(externals)):
            rows = await self.session.execute(
                sa.select(LEAD.c.external_id, LEAD.c.id).where(
                    LEAD.c.tenant_id == tenant_id, LEAD.c.external_id.in_(chunk)
                )
            )
            by_external.update({ext: lid for ext, lid in rows})
        resolved = {}
        for item in items:
            lead_id = item.lead_id if item.lead_id in known_ids else by_external.get(item.external_id or "")
            if lead_id is not None:
                resolved[item.index] = lead_id
        return resolved

    async def _lock(self, tenant_id: uuid.UUID, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, LeadState]:
        """The leads' scoring inputs, rows locked in id order (so two bulks cannot deadlock)."""
        columns = [LEAD.c[name] for name in LeadState.__dataclass_fields__]
        states: dict[uuid.UUID, LeadState] = {}
        for chunk in _chunks(lead_ids):
            rows = await self.session.execute(
                sa.select(LEAD.c.id, *columns)
                .where(LEAD.c.tenant_id == tenant_id, LEAD.c.id.in_(chunk))
                .order_by(LEAD.c.id)
                .with_for_update()
            )
            states.update({row.id: LeadState.of(row._mapping) for row in rows})
        return states

    async def _existing_keys(self, tenant_id: uuid.UUID, keys: list[str | None]) -> dict[str, uuid.UUID]:
        """The keys already used, each with the lead it was used for."""
        found: dict[str, uuid.UUID] = {}
        for chunk in _chunks(sorted({k for k in keys if k})):
            rows = await self.session.execute(
                sa.select(EVENT.c.idempotency_key, EVENT.c.lead_id).where(
                    EVENT.c.tenant_id == tenant_id, EVENT.c.idempotency_key.in_(chunk)
                )
            )
            found.update({key: lead_id for key, lead_id in rows})
        return found


_UPDATE_LEAD = (
    sa.update(LEAD)
    .where(LEAD.c.tenant_id == sa.bindparam("b_tenant"), LEAD.c.id == sa.bindparam("b_id"))
    .values(
        **{name: LEAD.c[name] + sa.bindparam(f"b_{name}") for name in COUNTER_FIELDS},
        last_interaction_at=sa.bindparam("b_last", type_=LEAD.c.last_interaction_at.type),
        lead_score=sa.bindparam("b_score"),
        temperature=sa.bindparam("b_temperature"),
        score_valid_until=sa.bindparam("b_valid_until", type_=LEAD.c.score_valid_until.type),
        updated_at=sa.bindparam("b_now", type_=LEAD.c.updated_at.type),
        **sql_milestones(
            sa.bindparam("b_temperature", type_=LEAD.c.temperature.type),
            sa.bindparam("b_now", type_=LEAD.c.updated_at.type),
            LEAD.c.hot_at,
            LEAD.c.peak_temperature,
        ),
    )
)


def _update_from_arrays() -> sa.TextClause:
    """PostgreSQL: every lead of the batch in one UPDATE, its new values as parallel arrays."""
    counters = ", ".join(f"{name} = lead.{name} + v.{name}" for name in COUNTER_FIELDS)
    arrays = ", ".join(f"CAST(:{name} AS integer[])" for name in COUNTER_FIELDS)
    return sa.text(
        f"""
        UPDATE lead SET {counters},
          last_interaction_at = v.last, lead_score = v.score, temperature = v.temperature,
          score_valid_until = v.valid_until, updated_at = :now,
          {sql_milestones_text("v.temperature", "CAST(:now AS timestamptz)", "lead")}
        FROM unnest(CAST(:id AS uuid[]), {arrays}, CAST(:last AS timestamptz[]), CAST(:score AS integer[]),
                    CAST(:temperature AS varchar[]), CAST(:valid_until AS timestamptz[]))
          AS v(id, {", ".join(COUNTER_FIELDS)}, last, score, temperature, valid_until)
        WHERE lead.tenant_id = :tenant_id AND lead.id = v.id
        """
    )


_UPDATE_LEADS_FROM_ARRAYS = _update_from_arrays()


def _parse(index: int, raw: Any, now: datetime) -> _Item:
    if not isinstance(raw, Mapping):
        raise InvalidInput("Each event must be a JSON object.")
    unknown = sorted(
        set(raw) - {"lead_id", "external_id", "type", "occurred_at", "idempotency_key", "payload"}
    )
    if unknown:
        raise InvalidInput(f"'{unknown[0]}' is not an event field.", unknown[0])
    lead_id = raw.get("lead_id")
    external_id = raw.get("external_id")
    if lead_id is not None:
        try:
            lead_id = uuid.UUID(str(lead_id))
        except ValueError:
            raise InvalidInput("lead_id is not a lead id (a UUID).", "lead_id") from None
    if external_id is not None:
        if not isinstance(external_id, str) or not external_id.strip():
            raise InvalidInput("external_id must be non-empty text.", "external_id")
        check_text("external_id", external_id)
    if lead_id is None and external_id is None:
        raise InvalidInput("Name the lead with lead_id or external_id.", "lead_id")
    occurred = raw.get("occurred_at")
    if occurred is not None:
        if not isinstance(occurred, str):
            raise InvalidInput("occurred_at must be an ISO-8601 time with an offset.", "occurred_at")
        try:
            occurred = datetime.fromisoformat(occurred)
        except ValueError:
            raise InvalidInput(
                "occurred_at must be an ISO-8601 time with an offset.", "occurred_at"
            ) from None
    key = raw.get("idempotency_key")
    check_idempotency_key(key)
    kind = interaction_type(raw.get("type"), API_EVENT_TYPES)
    payload = clean_payload(check_payload(kind, raw.get("payload")))
    return _Item(index, lead_id, external_id, kind, check_occurred_at(occurred, now), key, payload)


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]
