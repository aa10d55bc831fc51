"""Changing leads: create, edit, record an interaction. Each re-scores the lead.

Every change happens inside the caller's unit of work, which commits; nothing here commits.
Counters change with atomic `x = x + 1` updates on a locked row, each change writes its event
row in the same transaction, and each card change is noted for announcement after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.mixins.uuid import uuid7
from sqlalchemy.exc import IntegrityError

from app.domain.enums import OUTCOME_STATUSES, EventType
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.leads import milestones
from app.domain.leads.changes import ScoreChange, note, status_message
from app.domain.leads.checks import (
    COUNTERS,
    after_interaction,
    check_idempotency_key,
    check_occurred_at,
    clean_history,
    interaction_type,
)
from app.domain.leads.models import Lead, LeadEvent
from app.domain.leads.one_statement import record_in_one_statement
from app.domain.leads.outcomes import check_reason, reasons_of
from app.domain.leads.payloads import check_payload
from app.domain.leads.profile import clean_profile
from app.domain.leads.queries import LeadQueries, ScoredLead, temperature_value
from app.domain.leads.reading import MESSAGE_SOURCE, Reading, read_message, settable
from app.domain.leads.results import EarlierEvent, InteractionResult, replayed
from app.domain.leads.statements import (
    EVENT_WITH_KEY,
    INSERT_EVENT,
    LOCKED_STATE,
    LOCKED_STATE_AND_EARLIER,
    RECORD_UPDATE,
    event_values,
)
from app.domain.outbox.writer import queue
from app.domain.scoring import LeadState, Score
from app.domain.tenants.rules import cached_rules, rules_for
from app.domain.text import clean_payload

MAX_NAME = 200
LOCKED_LEAD = sa.select(Lead).with_for_update()


class LeadCommands(LeadQueries):
    async def create(
        self,
        tenant_id: uuid.UUID,
        profile: Mapping[str, Any],
        *,
        source: str = "api",
        history: Mapping[str, Any] | None = None,
    ) -> ScoredLead:
        """A new lead, scored; creating is not an interaction (no recency points)."""
        now = self.clock()
        tenant = await self.tenant(tenant_id)
        fields = clean_profile(profile, tenant.phone_region)
        past = clean_history(history or {}, now)
        rules = await rules_for(self.session, tenant_id)
        lead = Lead(
            tenant_id=tenant_id,
            created_at=now,
            updated_at=now,
            **{"name": "", "source": source, **fields, **past},
            field_sources={k: source for k, v in fields.items() if v is not None},
        )
        score = rules.score(LeadState.of(lead), now)
        _apply_score(lead, score, now)
        if lead.status is not None:
            milestones.after_status(lead, lead.status, score.temperature, now)
        created = {"fields": _jsonable({**fields, **past})}
        # A savepoint: a taken external_id or Telegram user is a Conflict, and the rest of the
        # unit of work carries on (PostgreSQL would otherwise abort the whole transaction).
        try:
            async with self.session.begin_nested():
                self.session.add(lead)
                await self.session.flush()
        except IntegrityError as exc:
            raise _conflict(exc) from None
        self.session.add(_event(lead, EventType.CREATED, now, now, source, created, None, 0, score))
        await self.session.flush()
        note(
            self.session,
            self.notify,
            [
                ScoreChange(
                    tenant_id,
                    lead.id,
                    None,
                    None,
                    score.total,
                    score.temperature.value,
                    at=now,
                    cause="created",
                    breakdown=score.as_dict(),
                )
            ],
        )
        return ScoredLead(lead, score)

    async def upsert(
        self,
        tenant_id: uuid.UUID,
        profile: Mapping[str, Any],
        *,
        source: str = "api",
        history: Mapping[str, Any] | None = None,
    ) -> tuple[ScoredLead, bool]:
        """Create the lead, or update the one with the same external_id (or phone); True if created.

        `history` (counters and `last_interaction_at` kept elsewhere, for imports) only ever
        raises the stored values: counters never shrink, recency never moves back.
        """
        existing = await self.find_existing(tenant_id, profile)
        if existing is None:
            return await self.create(tenant_id, profile, source=source, history=history), True
        return await self.update_profile(tenant_id, existing, profile, source=source, history=history), False

    async def telegram_lead(
        self,
        tenant_id: uuid.UUID,
        telegram_user_id: int,
        *,
        name: str,
        username: str | None,
        language: str | None,
    ) -> uuid.UUID:
        """The lead behind a Telegram user of this agency's bot, created on first contact."""
        found = await self.telegram_lead_id(tenant_id, telegram_user_id)
        if found is not None:
            return found
        profile = {
            "name": name[:MAX_NAME],
            "telegram_user_id": telegram_user_id,
            "telegram_username": (username or "")[:64] or None,
            "language": (language or "")[:16] or None,
        }
        try:
            return (await self.create(tenant_id, profile, source="telegram")).lead.id
        except Conflict:  # the same user's other update created it a moment ago
            found = await self.telegram_lead_id(tenant_id, telegram_user_id)
            if found is None:
                raise
            return found

    async def update_profile(
        self,
        tenant_id: uuid.UUID,
        lead_id: uuid.UUID,
        changes: Mapping[str, Any],
        *,
        source: str = "api",
        history: Mapping[str, Any] | None = None,
    ) -> ScoredLead:
        """Change profile fields and/or status; re-scores. Not an interaction."""
        now = self.clock()
        tenant = await self.tenant(tenant_id)
        fields = clean_profile(changes, tenant.phone_region)
        if "outcome_reason" in fields:
            check_reason(fields["outcome_reason"], reasons_of(tenant.outcome_reasons))
        past = clean_history(history or {}, now)
        lead = await self._locked_lead(tenant_id, lead_id)
        rules = await rules_for(self.session, tenant_id)
        for key, value in past.items():  # imported history only ever raises what is stored
            current = getattr(lead, key)
            if current is not None and current >= value:
                continue
            fields[key] = value
        budget_min = fields.get("budget_min", lead.budget_min)
        budget_max = fields.get("budget_max", lead.budget_max)
        if budget_min is not None and budget_max is not None and budget_min > budget_max:
            raise InvalidInput("budget_min is above budget_max.", "budget_min")
        before = rules.score(LeadState.of(lead), now)
        before_status = lead.status
        changed = {k: v for k, v in fields.items() if getattr(lead, k) != v}
        # A value confirmed by another source is now that source's (a message no longer moves it).
        sources = lead.field_sources or {}
        claimed = {k for k, v in fields.items() if v is not None and sources.get(k) != source}
        if not changed:
            if claimed:
                lead.field_sources = {**sources, **dict.fromkeys(claimed, source)}
            return ScoredLead(lead, before)
        try:
            async with self.session.begin_nested():
                for key, value in changed.items():
                    setattr(lead, key, value)
                lead.field_sources = {**sources, **dict.fromkeys(changed.keys() | claimed, source)}
                after = rules.score(LeadState.of(lead), now)
                _apply_score(lead, after, now)
                if "status" in changed:
                    milestones.after_status(lead, changed["status"], after.temperature, now)
                lead.updated_at = now
                await self.session.flush()
        except IntegrityError as exc:
            raise _conflict(exc) from None
        kind = EventType.STATUS_CHANGE if set(changed) == {"status"} else EventType.PROFILE_UPDATE
        self.session.add(
            _event(lead, kind, now, now, source, {"fields": _jsonable(changed)}, None, before.total, after)
        )
        await self.session.flush()
        note(self.session, self.notify, [_change(tenant_id, lead.id, before, after, now, kind.value)])
        if "status" in changed:
            queue(self.session, [status_message(tenant_id, lead.id, before_status, lead.status, now)])
        return ScoredLead(lead, after)

    async def set_outcome(
        self,
        tenant_id: uuid.UUID,
        lead_id: uuid.UUID,
        status: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        source: str = "dashboard",
    ) -> ScoredLead:
        """Won or lost, why (one of the agency's reasons) and in the agent's words."""
        if status not in OUTCOME_STATUSES:
            raise InvalidInput("The outcome is won or lost.", "status")
        changes = {
            "status": status,
            "outcome_reason": reason or None,
            "outcome_note": (note or "").strip() or None,
        }
        return await self.update_profile(tenant_id, lead_id, changes, source=source)

    async def record_first_contact(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> bool:
        """An agent reached the lead (e.g. replied to it): its first contact, if none yet.
        One conditional UPDATE; True if this was the first."""
        now = self.clock()
        result = await self.session.execute(
            sa.update(Lead)
            .where(Lead.tenant_id == tenant_id, Lead.id == lead_id, Lead.first_contacted_at.is_(None))
            .values(first_contacted_at=now, contacted_temperature=Lead.temperature)
            .returning(Lead.id, Lead.lead_score, Lead.temperature)
        )
        row = result.first()
        if row is None:
            return False
        t = temperature_value(row.temperature) or ""
        unchanged = ScoreChange(tenant_id, lead_id, row.lead_score, t, row.lead_score, t)
        note(self.session, self.notify, [unchanged])  # the card's timer stops
        return True

    async def record(
        self,
        tenant_id: uuid.UUID,
        lead_id: uuid.UUID,
        event_type: EventType | str,
        *,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        payload: Mapping[str, Any] | None = None,
        source: str = "api",
    ) -> InteractionResult:
        """Record one interaction: counters, recency, the event row and the new score, atomically.

        A repeated `idempotency_key` returns the first result and counts nothing. A late
        event counts but never moves `last_interaction_at` back.
        """
        kind = interaction_type(event_type)
        now = self.clock()
        occurred = check_occurred_at(occurred_at, now)
        check_idempotency_key(idempotency_key)
        payload = clean_payload(check_payload(kind, payload))
        if kind is EventType.MESSAGE and payload.get("text"):
            reading = read_message(kind, payload, await self.tenant(tenant_id))
            if reading is not None:  # fields to set: the ORM path, scored once with them
                return await self._record_reading(
                    tenant_id, lead_id, kind, reading, idempotency_key, occurred, now, source, payload
                )
        if self._postgres:
            return await self._record_in_one_statement(
                tenant_id, lead_id, kind, idempotency_key, occurred, now, source, payload
            )

        # SQLite: every writing transaction holds the database's write lock from its start, so
        # the key checked here cannot be taken by anyone else before the insert.
        row = await self._locked_state(tenant_id, lead_id, idempotency_key)
        if idempotency_key is not None and row.earlier_id is not None:
            # Seen before: count nothing, answer as the first time.
            return replayed(EarlierEvent.of_row(row, "earlier_"), lead_id)
        rules = cached_rules(tenant_id, row.rules_version, row.rules)
        state = LeadState.of(row._mapping)
        before = rules.score(state, now)
        grown = after_interaction(state, kind, occurred)
        after = rules.score(grown, now)
        event = event_values(
            tenant_id, lead_id, kind, occurred, now, source, payload, idempotency_key, before.total, after
        )
        lead_values = {
            "k_tenant": tenant_id,
            "k_lead": lead_id,
            # The row is locked, so the newest time computed above is the stored one.
            "v_last_interaction_at": grown.last_interaction_at,
            "v_lead_score": after.total,
            "v_temperature": after.temperature.value,
            "v_score_valid_until": after.next_boundary,
            "v_updated_at": now,
        }
        await self.session.execute(INSERT_EVENT, event)
        await self.session.execute(RECORD_UPDATE[kind], lead_values)
        note(self.session, self.notify, [_change(tenant_id, lead_id, before, after, now, kind.value)])
        return InteractionResult(
            event["id"], lead_id, before.total, after.total, after.temperature.value, after.as_dict(), False
        )

    async def _record_reading(
        self,
        tenant_id: uuid.UUID,
        lead_id: uuid.UUID,
        kind: EventType,
        reading: Reading,
        key: str | None,
        occurred: datetime,
        now: datetime,
        source: str,
        payload: dict[str, Any],
    ) -> InteractionResult:
        """A message that states fields: the fields it may set, the count, recency, one score
        change and the event (which records what was read), on the locked lead."""
        lead = await self._locked_lead(tenant_id, lead_id)
        if key is not None:  # the lock is held: a repeat of this key has committed by now
            earlier = await self._event_with_key(tenant_id, key)
            if earlier is not None:
                return replayed(earlier, lead_id)
        rules = await rules_for(self.session, tenant_id)
        before = rules.score(LeadState.of(lead), now)
        sources = lead.field_sources or {}
        applied = {k: v for k, v in settable(reading.fields, sources, lead).items() if getattr(lead, k) != v}
        for name, value in applied.items():
            setattr(lead, name, value)
        if applied:
            lead.field_sources = {**sources, **dict.fromkeys(applied, MESSAGE_SOURCE)}
        grown = after_interaction(LeadState.of(lead), kind, occurred)
        for name in (*COUNTERS[kind], "last_interaction_at"):  # the row is locked
            setattr(lead, name, getattr(grown, name))
        after = rules.score(grown, now)
        _apply_score(lead, after, now)
        lead.updated_at = now
        read = {**payload, "read": reading.record(applied)}
        event = _event(lead, kind, occurred, now, source, read, key, before.total, after)
        try:
            async with self.session.begin_nested():
                self.session.add(event)
                await self.session.flush()
        except IntegrityError:  # the key was taken meanwhile (by an event of another lead)
            earlier = await self._event_with_key(tenant_id, key) if key else None
            if earlier is None:
                raise
            return replayed(earlier, lead_id)
        note(self.session, self.notify, [_change(tenant_id, lead_id, before, after, now, kind.value)])
        return InteractionResult(
            event.id, lead_id, before.total, after.total, after.temperature.value, after.as_dict(), False
        )

    async def _record_in_one_statement(
        self,
        tenant_id: uuid.UUID,
        lead_id: uuid.UUID,
        kind: EventType,
        key: str | None,
        occurred: datetime,
        now: datetime,
        source: str,
        payload: dict[str, Any],
    ) -> InteractionResult:
        event_id = uuid7()
        outcome, rules = await record_in_one_statement(
            self.session,
            tenant_id,
            lead_id,
            kind,
            key=key,
            occurred=occurred,
            now=now,
            event_id=event_id,
            source=source,
            payload=payload,
        )
        if outcome.earlier is not None:  # seen before: count nothing, answer as the first time
            return replayed(EarlierEvent(**outcome.earlier), lead_id)
        if not outcome.lead_exists:
            raise NotFound("No such lead.")
        if not outcome.recorded:
            # A concurrent request took the key after our look (its row was not committed yet).
            earlier = await self._event_with_key(tenant_id, key) if key else None
            if earlier is None:
                raise RuntimeError("The interaction was neither recorded nor seen before.")
            return replayed(earlier, lead_id)
        assert outcome.score_before is not None and outcome.score_after is not None
        before_temperature = rules.temperature_of(outcome.score_before).value
        note(
            self.session,
            self.notify,
            [
                ScoreChange(
                    tenant_id,
                    lead_id,
                    outcome.score_before,
                    before_temperature,
                    outcome.score_after,
                    outcome.temperature or "",
                    at=now,
                    cause=kind.value,
                    breakdown=outcome.breakdown,
                )
            ],
        )
        return InteractionResult(
            event_id,
            lead_id,
            outcome.score_before,
            outcome.score_after,
            outcome.temperature or "",
            outcome.breakdown or {},
            False,
        )

    # ---- helpers ------------------------------------------------------------------------

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def _locked_lead(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> Lead:
        lead = await self.session.scalar(
            LOCKED_LEAD.where(Lead.tenant_id == tenant_id, Lead.id == lead_id).execution_options(
                populate_existing=True
            )
        )
        if lead is None:
            raise NotFound("No such lead.")
        return lead

    async def _locked_state(
        self, tenant_id: uuid.UUID, lead_id: uuid.UUID, idempotency_key: str | None
    ) -> Any:
        """The lead's scoring inputs and its tenant's rules, the lead row locked until commit;
        with a key, also the event that already used it (`earlier_*`), in the same round trip."""
        params = {"k_tenant": tenant_id, "k_lead": lead_id}
        if idempotency_key is None:
            result = await self.session.execute(LOCKED_STATE, params)
        else:
            result = await self.session.execute(LOCKED_STATE_AND_EARLIER, params | {"k_key": idempotency_key})
        row = result.first()
        if row is None:
            raise NotFound("No such lead.")
        return row

    async def _event_with_key(self, tenant_id: uuid.UUID, key: str) -> EarlierEvent | None:
        row = (await self.session.execute(EVENT_WITH_KEY, {"k_tenant": tenant_id, "k_key": key})).first()
        return EarlierEvent.of_row(row) if row is not None else None


def _change(
    tenant_id: uuid.UUID, lead_id: uuid.UUID, before: Score, after: Score, at: datetime, cause: str
) -> ScoreChange:
    return ScoreChange(
        tenant_id,
        lead_id,
        before.total,
        before.temperature.value,
        after.total,
        after.temperature.value,
        at=at,
        cause=cause,
        breakdown=after.as_dict(),
    )


def _apply_score(lead: Lead, score: Score, now: datetime) -> None:
    lead.lead_score = score.total
    lead.temperature = score.temperature
    lead.score_valid_until = score.next_boundary
    milestones.after_temperature(lead, score.temperature, now)


def _event(
    lead: Lead,
    kind: EventType,
    occurred: datetime,
    now: datetime,
    source: str,
    payload: dict[str, Any],
    key: str | None,
    score_before: int,
    after: Score,
) -> LeadEvent:
    return LeadEvent(
        **event_values(
            lead.tenant_id, lead.id, kind, occurred, now, source, payload, key, score_before, after
        )
    )


def _jsonable(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}


def _conflict(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "external_id" in text:
        return Conflict("Another lead of this agency already has this external_id.", "external_id")
    if "telegram_user" in text:
        return Conflict("Another lead of this agency already has this Telegram user.", "telegram_user_id")
    return Conflict("The change conflicts with another lead.")
