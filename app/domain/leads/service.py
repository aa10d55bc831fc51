"""The lead service: the one place where leads change and interactions are recorded.

Every method owns its transaction. Counters change with atomic `x = x + 1` updates on a
locked row; each interaction writes its event row in the same transaction; each score
change is logged and handed to the notifier after the commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.mixins.uuid import uuid7
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import Clock, system_clock
from app.domain.enums import INTERACTIONS, EventType, LeadStatus
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.leads.models import Lead, LeadEvent
from app.domain.leads.profile import clean_profile
from app.domain.scoring import LeadState, RuleSet, Score, Temperature
from app.domain.tenants.models import ScoringRuleSet, Tenant
from app.domain.tenants.rules import cached_rules, rules_for
from app.domain.text import check_text, check_time, clean_payload

log = logging.getLogger("leadheat.scoring")

LEAD = Lead.__table__
EVENT = LeadEvent.__table__
# A plain INSERT (the dialects' ON CONFLICT variants are not cached by SQLAlchemy 2.0 and so are
# compiled on every call); used keys are checked first and the unique index settles races.
INSERT_EVENT = sa.insert(EVENT)
# An event may be stamped a little ahead of our clock (clock skew), not more.
MAX_FUTURE_SKEW = timedelta(minutes=5)

COUNTERS: dict[EventType, tuple[str, ...]] = {
    EventType.QR_SCAN: ("qr_scan_count",),
    EventType.CATALOG_VIEW: ("catalog_views",),
    EventType.MESSAGE: ("messages_count",),
    EventType.VOICE_MESSAGE: ("messages_count", "voice_messages_count"),
    EventType.BUTTON: (),
}


# The statements of the interaction path, built once: building a statement and its cache key
# on every call cost more than running it. Values travel as bound parameters.
RULES = ScoringRuleSet.__table__
EARLIER = EVENT.alias("earlier")  # the event that first used an idempotency key
EARLIER_COLUMNS = ("id", "lead_id", "score_before", "score_after", "temperature_after", "breakdown")
_STATE = sa.select(
    *[LEAD.c[name] for name in LeadState.__dataclass_fields__],
    RULES.c.version.label("rules_version"),
    RULES.c.rules,
)
_THIS_LEAD = (LEAD.c.tenant_id == sa.bindparam("k_tenant"), LEAD.c.id == sa.bindparam("k_lead"))
_WITH_RULES = LEAD.outerjoin(RULES, RULES.c.tenant_id == LEAD.c.tenant_id)
LOCKED_STATE = _STATE.select_from(_WITH_RULES).where(*_THIS_LEAD).with_for_update(of=LEAD)
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
SCORED_COLUMNS = ("last_interaction_at", "lead_score", "temperature", "score_valid_until", "updated_at")
RECORD_UPDATE = {
    kind: sa.update(LEAD)
    .where(*_THIS_LEAD)
    .values(
        **{name: LEAD.c[name] + 1 for name in counters},
        **{
            name: sa.bindparam(f"v_{name}", type_=LEAD.c[name].type)
            for name in SCORED_COLUMNS
        },
    )
    for kind, counters in COUNTERS.items()
}
# PostgreSQL: the event INSERT rides in the lead UPDATE as a CTE, one round trip for both.
EVENT_COLUMNS = tuple(name for name in EVENT.c.keys() if name != "sa_orm_sentinel")
_EVENT_CTE = (
    sa.insert(EVENT)
    .values({name: sa.bindparam(f"e_{name}", type_=EVENT.c[name].type) for name in EVENT_COLUMNS})
    .cte("event")
)
RECORD_UPDATE_AND_EVENT = {kind: update.add_cte(_EVENT_CTE) for kind, update in RECORD_UPDATE.items()}


@dataclass(frozen=True, slots=True)
class ScoreChange:
    tenant_id: uuid.UUID
    lead_id: uuid.UUID
    old_score: int | None
    old_temperature: str | None
    new_score: int
    new_temperature: str


ScoreNotifier = Callable[[Sequence[ScoreChange]], Any]


@dataclass(frozen=True, slots=True)
class InteractionResult:
    event_id: uuid.UUID
    lead_id: uuid.UUID
    score_before: int
    score: int
    temperature: str
    breakdown: dict[str, Any]
    duplicate: bool


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
    limit: int = 50
    after: Cursor | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        where: list[sa.ColumnElement[bool]] = []
        if self.temperatures:
            where.append(Lead.temperature.in_(_members(Temperature, self.temperatures, "temperature")))
        if self.statuses:
            where.append(Lead.status.in_(_members(LeadStatus, self.statuses, "status")))
        if self.query and self.query.strip():
            needle = self.query.replace("\x00", "").strip()[:200]
            # Phones are stored as E.164: a national "050 ..." is searched without its 0.
            digits = "".join(ch for ch in needle if ch.isdigit()).lstrip("0")
            match = Lead.name.ilike(f"%{_escape_like(needle)}%", escape="\\")
            if len(digits) >= 3:
                match = sa.or_(match, Lead.phone.contains(digits))
            where.append(match)
        if self.updated_since is not None:
            where.append(Lead.updated_at >= self.updated_since)
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


def _members(enum_cls: type[Any], values: Sequence[str], field: str) -> list[Any]:
    try:
        return [enum_cls(v) for v in values]
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise InvalidInput(f"{field} must be one or more of: {allowed}.", field) from None


class LeadService:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock = system_clock,
        notify: ScoreNotifier | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.notify = notify

    # ---- reads ------------------------------------------------------------------------

    async def get(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> ScoredLead:
        """The lead with its live score and breakdown; another tenant's lead is NotFound."""
        now = self.clock()
        changes = await self._refresh_due(tenant_id, now)
        # Counters change through Core updates, so never trust a copy already in the session.
        lead = await self.session.scalar(
            sa.select(Lead)
            .where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
            .execution_options(populate_existing=True)
        )
        rules = await rules_for(self.session, tenant_id)
        await self.session.commit()
        self.announce(changes)
        if lead is None:
            raise NotFound("No such lead.")
        return ScoredLead(lead, rules.score(LeadState.of(lead), now))

    async def list(
        self, tenant_id: uuid.UUID, filters: LeadFilters | None = None, **kwargs: Any
    ) -> list[Lead]:
        """Leads ordered by live score, then newest, then id (a total order).

        A page after `filters.after` belongs to a walk that started at `after.walk_started_at`:
        leads changed since then are left out, so a walk never returns a lead twice, and every
        lead that did not change keeps its place (none is skipped).
        """
        filters = filters or LeadFilters(**kwargs)
        changes = await self._refresh_due(tenant_id, self.clock())
        stmt = sa.select(Lead).where(Lead.tenant_id == tenant_id, *filters.conditions())
        stmt = (
            stmt.order_by(Lead.lead_score.desc(), Lead.created_at.desc(), Lead.id.desc())
            .limit(filters.limit)
            .execution_options(populate_existing=True)
        )
        leads = list(await self.session.scalars(stmt))
        await self.session.commit()
        self.announce(changes)
        return leads

    async def temperature_counts(self, tenant_id: uuid.UUID, *, refresh: bool = True) -> dict[str, int]:
        """How many of the tenant's leads are in each temperature right now (`refresh=False`
        when the caller has just refreshed the due leads, e.g. by listing)."""
        changes = await self._refresh_due(tenant_id, self.clock()) if refresh else []
        rows = await self.session.execute(
            sa.select(Lead.temperature, sa.func.count())
            .where(Lead.tenant_id == tenant_id)
            .group_by(Lead.temperature)
        )
        counts = {t.value: 0 for t in Temperature}
        counts.update({_temperature_value(t): n for t, n in rows.all()})
        await self.session.commit()
        self.announce(changes)
        return counts

    async def timeline(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, limit: int = 200) -> list[LeadEvent]:
        """The lead's events, newest first (interactions, edits, status changes)."""
        events = list(
            await self.session.scalars(
                sa.select(LeadEvent)
                .where(LeadEvent.tenant_id == tenant_id, LeadEvent.lead_id == lead_id)
                .order_by(LeadEvent.occurred_at.desc(), LeadEvent.received_at.desc())
                .limit(limit)
            )
        )
        await self.session.commit()
        return events

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
        found = await self.session.scalar(
            sa.select(Lead.id).where(Lead.tenant_id == tenant_id, Lead.telegram_user_id == telegram_user_id)
        )
        await self.session.commit()
        if found is not None:
            return found
        profile = {
            "name": name[:200],
            "telegram_user_id": telegram_user_id,
            "telegram_username": (username or "")[:64] or None,
            "language": (language or "")[:16] or None,
        }
        try:
            return (await self.create(tenant_id, profile, source="telegram")).lead.id
        except Conflict:  # the same user's other update created it a moment ago
            found = await self.session.scalar(
                sa.select(Lead.id).where(
                    Lead.tenant_id == tenant_id, Lead.telegram_user_id == telegram_user_id
                )
            )
            await self.session.commit()
            if found is None:
                raise
            return found

    async def find_existing(self, tenant_id: uuid.UUID, profile: Mapping[str, Any]) -> uuid.UUID | None:
        """The lead an incoming record refers to: same external_id, or failing that, same phone."""
        tenant = await self._tenant(tenant_id)
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

    # ---- writes -----------------------------------------------------------------------

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
        tenant = await self._tenant(tenant_id)
        fields = clean_profile(profile, tenant.phone_region)
        past = clean_history(history or {}, now)
        rules = await rules_for(self.session, tenant_id)
        lead = Lead(
            tenant_id=tenant_id,
            created_at=now,
            updated_at=now,
            **{"name": "", "source": source, **fields, **past},
        )
        score = rules.score(LeadState.of(lead), now)
        _apply_score(lead, score)
        self.session.add(lead)
        try:
            await self.session.flush()
            self.session.add(
                _event(
                    lead,
                    EventType.CREATED,
                    now,
                    now,
                    source,
                    {"fields": _jsonable({**fields, **past})},
                    None,
                    0,
                    score,
                )
            )
            await self.session.commit()
        except IntegrityError as exc:
            await self.session.rollback()
            raise _conflict(exc) from None
        self.announce([ScoreChange(tenant_id, lead.id, None, None, score.total, score.temperature.value)])
        return ScoredLead(lead, score)

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
        tenant = await self._tenant(tenant_id)
        fields = clean_profile(changes, tenant.phone_region)
        past = clean_history(history or {}, now)
        lead, rules = await self._locked(tenant_id, lead_id)
        for key, value in past.items():  # imported history only ever raises what is stored
            current = getattr(lead, key)
            if current is not None and current >= value:
                continue
            fields[key] = value
        budget_min = fields.get("budget_min", lead.budget_min)
        budget_max = fields.get("budget_max", lead.budget_max)
        if budget_min is not None and budget_max is not None and budget_min > budget_max:
            await self.session.commit()  # nothing was changed yet
            raise InvalidInput("budget_min is above budget_max.", "budget_min")
        before = rules.score(LeadState.of(lead), now)
        changed = {k: v for k, v in fields.items() if getattr(lead, k) != v}
        for key, value in changed.items():
            setattr(lead, key, value)
        after = rules.score(LeadState.of(lead), now)
        _apply_score(lead, after)
        if changed:
            lead.updated_at = now
            kind = EventType.STATUS_CHANGE if set(changed) == {"status"} else EventType.PROFILE_UPDATE
            self.session.add(
                _event(
                    lead, kind, now, now, source, {"fields": _jsonable(changed)}, None, before.total, after
                )
            )
        try:
            await self.session.commit()
        except IntegrityError as exc:
            await self.session.rollback()
            raise _conflict(exc) from None
        self._announce_if_changed(tenant_id, lead.id, before, after)
        return ScoredLead(lead, after)

    async def set_outcome(
        self, tenant_id: uuid.UUID, lead_id: uuid.UUID, status: str, notes: str | None = None
    ) -> ScoredLead:
        changes: dict[str, Any] = {"status": status}
        if notes is not None:
            changes["notes"] = notes
        return await self.update_profile(tenant_id, lead_id, changes, source="dashboard")

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
        payload = clean_payload(payload)

        row = await self._locked_state(tenant_id, lead_id, idempotency_key)
        if idempotency_key is not None and row.earlier_id is not None:
            # Seen before: count nothing, answer as the first time.
            await self.session.commit()
            return _replayed(_EarlierEvent.of(row), lead_id)
        rules = cached_rules(tenant_id, row.rules_version, row.rules)
        state = LeadState.of(row._mapping)
        before = rules.score(state, now)
        counters = COUNTERS[kind]
        newest = state.last_interaction_at
        grown = replace(
            state,
            **{name: getattr(state, name) + 1 for name in counters},
            last_interaction_at=occurred if newest is None or occurred > newest else newest,
        )
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
        try:
            if self._postgres:
                event_params = {f"e_{name}": event[name] for name in EVENT_COLUMNS}
                await self.session.execute(RECORD_UPDATE_AND_EVENT[kind], lead_values | event_params)
            else:
                await self.session.execute(INSERT_EVENT, event)
                await self.session.execute(RECORD_UPDATE[kind], lead_values)
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            # Another request (for another lead) took the key between our check and insert.
            earlier = await self._event_with_key(tenant_id, idempotency_key) if idempotency_key else None
            await self.session.commit()
            if earlier is None:
                raise
            return _replayed(earlier, lead_id)
        self._announce_if_changed(tenant_id, lead_id, before, after)
        return InteractionResult(
            event["id"], lead_id, before.total, after.total, after.temperature.value, after.as_dict(), False
        )

    # ---- set-based re-scoring -----------------------------------------------------------

    async def rescore_tenant(self, tenant_id: uuid.UUID, rules: RuleSet | None = None) -> int:
        """Re-score every lead of the tenant in one statement; returns how many changed."""
        now = self.clock()
        rules = rules or await rules_for(self.session, tenant_id)
        changes = await self.rescore_rows(tenant_id, rules, now, only_due=False)
        await self.session.commit()
        self.announce(changes)
        return len(changes)

    async def refresh_due(self, tenant_id: uuid.UUID) -> int:
        """Re-score the tenant's leads whose recency boundary has passed."""
        changes = await self._refresh_due(tenant_id, self.clock())
        await self.session.commit()
        self.announce(changes)
        return len(changes)

    async def sweep(self) -> int:
        """Refresh every tenant's due leads: what the background task runs."""
        now = self.clock()
        tenants = (
            await self.session.scalars(
                sa.select(LEAD.c.tenant_id).where(LEAD.c.score_valid_until <= now).distinct()
            )
        ).all()
        await self.session.commit()
        refreshed = 0
        for tenant_id in tenants:
            refreshed += await self.refresh_due(tenant_id)
        return refreshed

    async def _refresh_due(self, tenant_id: uuid.UUID, now: datetime) -> list[ScoreChange]:
        """Re-score the due leads inside the caller's transaction; the caller commits and announces."""
        rules = await rules_for(self.session, tenant_id)
        return await self.rescore_rows(tenant_id, rules, now, only_due=True)

    async def rescore_rows(
        self, tenant_id: uuid.UUID, rules: RuleSet, now: datetime, *, only_due: bool
    ) -> list[ScoreChange]:
        where = [LEAD.c.tenant_id == tenant_id]
        if only_due:
            where.append(LEAD.c.score_valid_until <= now)
        # Lock the rows first and remember their scores, so each change is logged old -> new.
        old = {
            r.id: (r.lead_score, r.temperature)
            for r in await self.session.execute(
                sa.select(LEAD.c.id, LEAD.c.lead_score, LEAD.c.temperature).where(*where).with_for_update()
            )
        }
        if not old:
            return []
        result = await self.session.execute(
            sa.update(LEAD)
            .where(*where)
            .values(**_rescored_values(rules, now))
            .returning(LEAD.c.id, LEAD.c.lead_score, LEAD.c.temperature)
        )
        changes = []
        for row in result:
            old_score, old_temp = old.get(row.id, (None, None))
            new_temp = _temperature_value(row.temperature)
            if old_score != row.lead_score or _temperature_value(old_temp) != new_temp:
                changes.append(
                    ScoreChange(
                        tenant_id, row.id, old_score, _temperature_value(old_temp), row.lead_score, new_temp
                    )
                )
        return changes

    # ---- helpers ------------------------------------------------------------------------

    async def _tenant(self, tenant_id: uuid.UUID) -> Tenant:
        tenant = await self.session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound("No such agency.")
        return tenant

    async def _locked(self, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> tuple[Lead, RuleSet]:
        lead = await self.session.scalar(
            sa.select(Lead)
            .where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if lead is None:
            await self.session.commit()  # nothing was written; just release the transaction
            raise NotFound("No such lead.")
        return lead, await rules_for(self.session, tenant_id)

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def _locked_state(
        self, tenant_id: uuid.UUID, lead_id: uuid.UUID, idempotency_key: str | None = None
    ) -> sa.Row[Any]:
        """The lead's scoring inputs and its tenant's rules, the lead row locked until commit;
        with a key, also the event that already used it (`earlier_*`), in the same round trip."""
        params = {"k_tenant": tenant_id, "k_lead": lead_id}
        if idempotency_key is None:
            result = await self.session.execute(LOCKED_STATE, params)
        else:
            result = await self.session.execute(LOCKED_STATE_AND_EARLIER, params | {"k_key": idempotency_key})
        row = result.first()
        if row is None:
            await self.session.commit()  # nothing was written; just release the transaction
            raise NotFound("No such lead.")
        return row

    async def _event_with_key(self, tenant_id: uuid.UUID, key: str) -> sa.Row[Any] | None:
        return (
            await self.session.execute(
                sa.select(
                    EVENT.c.id,
                    EVENT.c.lead_id,
                    EVENT.c.score_before,
                    EVENT.c.score_after,
                    EVENT.c.temperature_after,
                    EVENT.c.breakdown,
                ).where(EVENT.c.tenant_id == tenant_id, EVENT.c.idempotency_key == key)
            )
        ).first()

    def _announce_if_changed(
        self, tenant_id: uuid.UUID, lead_id: uuid.UUID, before: Score, after: Score
    ) -> None:
        if before.total != after.total or before.temperature != after.temperature:
            self.announce(
                [
                    ScoreChange(
                        tenant_id,
                        lead_id,
                        before.total,
                        before.temperature.value,
                        after.total,
                        after.temperature.value,
                    )
                ]
            )

    def announce(self, changes: Sequence[ScoreChange]) -> None:
        """Log each committed change and hand them to the notifier."""
        for c in changes:
            log.info(
                "Updated lead score: %s (%s) tenant=%s lead=%s was=%s (%s)",
                c.new_score,
                c.new_temperature,
                c.tenant_id,
                c.lead_id,
                c.old_score,
                c.old_temperature,
            )
        if changes and self.notify is not None:
            self.notify(changes)


# What integrators may send; the bot also records button taps.
API_EVENT_TYPES = frozenset(
    {EventType.QR_SCAN, EventType.CATALOG_VIEW, EventType.MESSAGE, EventType.VOICE_MESSAGE}
)


def interaction_type(event_type: EventType | str, allowed: frozenset[EventType] = INTERACTIONS) -> EventType:
    try:
        kind = EventType(event_type)
    except ValueError:
        kind = None
    if kind is None or kind not in allowed:
        names = ", ".join(sorted(t.value for t in allowed))
        raise InvalidInput(f"type must be one of: {names}.", "type")
    return kind


def _rescored_values(rules: RuleSet, now: datetime) -> dict[str, Any]:
    """The SET of a set-based re-score. `updated_at` moves only where the score really changed,
    so paging walks and `updated_since` see exactly the leads that changed."""
    values = rules.sql_values(LEAD, now)
    changed = sa.or_(values["lead_score"] != LEAD.c.lead_score, values["temperature"] != LEAD.c.temperature)
    moved = sa.case((changed, sa.literal(now, LEAD.c.updated_at.type)), else_=LEAD.c.updated_at)
    return {**values, "updated_at": moved}


@dataclass(frozen=True, slots=True)
class _EarlierEvent:
    """The event that first used an idempotency key, as read beside the locked lead."""

    id: uuid.UUID
    lead_id: uuid.UUID
    score_before: int
    score_after: int
    temperature_after: Any
    breakdown: dict[str, Any]

    @classmethod
    def of(cls, row: sa.Row[Any]) -> _EarlierEvent:
        return cls(*(getattr(row, f"earlier_{name}") for name in EARLIER_COLUMNS))


def _replayed(earlier: sa.Row[Any] | _EarlierEvent, lead_id: uuid.UUID) -> InteractionResult:
    if earlier.lead_id != lead_id:
        raise Conflict(
            "This idempotency_key was already used for another lead; use a new key.", "idempotency_key"
        )
    return InteractionResult(
        earlier.id,
        earlier.lead_id,
        earlier.score_before,
        earlier.score_after,
        _temperature_value(earlier.temperature_after),
        earlier.breakdown,
        True,
    )


def check_idempotency_key(key: Any) -> None:
    if key is None:
        return
    if not isinstance(key, str) or not 0 < len(key) <= 200:
        raise InvalidInput("idempotency_key must be text of 1 to 200 characters.", "idempotency_key")
    check_text("idempotency_key", key)


def check_occurred_at(occurred_at: datetime | None, now: datetime) -> datetime:
    if occurred_at is None:
        return now
    occurred_at = check_time("occurred_at", occurred_at)
    if occurred_at - now > MAX_FUTURE_SKEW:
        raise InvalidInput("occurred_at is more than 5 minutes in the future.", "occurred_at")
    return occurred_at


def clean_history(history: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Counters and last interaction carried over from another system (an import)."""
    allowed = {
        "qr_scan_count",
        "catalog_views",
        "messages_count",
        "voice_messages_count",
        "last_interaction_at",
    }
    unknown = sorted(set(history) - allowed)
    if unknown:
        raise InvalidInput(f"'{unknown[0]}' is not a history field.", unknown[0])
    cleaned = dict(history)
    for name, value in cleaned.items():
        if name != "last_interaction_at" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidInput(f"{name} must be a whole number, 0 or more.", name)
    if cleaned.get("voice_messages_count", 0) > cleaned.get(
        "messages_count", cleaned.get("voice_messages_count", 0)
    ):
        raise InvalidInput("voice_messages_count cannot exceed messages_count.", "voice_messages_count")
    if "last_interaction_at" in cleaned:
        try:
            cleaned["last_interaction_at"] = check_occurred_at(cleaned["last_interaction_at"], now)
        except InvalidInput as exc:
            raise InvalidInput(
                exc.message.replace("occurred_at", "last_interaction_at"), "last_interaction_at"
            ) from None
    return cleaned


def _apply_score(lead: Lead, score: Score) -> None:
    lead.lead_score = score.total
    lead.temperature = score.temperature
    lead.score_valid_until = score.next_boundary


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
) -> dict[str, Any]:
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
        "breakdown": after.as_dict(),
        "created_at": now,
        "updated_at": now,
    }


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
    values = event_values(
        lead.tenant_id, lead.id, kind, occurred, now, source, payload, key, score_before, after
    )
    return LeadEvent(**values)


def _temperature_value(value: Any) -> str | None:
    return value.value if isinstance(value, Temperature) else value


def _jsonable(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conflict(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "external_id" in text:
        return Conflict("Another lead of this agency already has this external_id.", "external_id")
    if "telegram_user" in text:
        return Conflict("Another lead of this agency already has this Telegram user.", "telegram_user_id")
    return Conflict("The change conflicts with another lead.")
