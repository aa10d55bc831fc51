"""What changed about leads, told to the world only once it is committed.

Services never commit. They note each change on the session they work in (`note()`); whoever
ends the unit of work commits, and only then are the changes logged and handed to the notifier
(the open dashboards). A rolled-back change is never announced, and a change is announced by
the process that made it exactly once.

The same note queues the change's messages for integrators (webhooks) in the outbox, written in
the same transaction just before it commits (`app.domain.outbox.writer`).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.domain.outbox.writer import Message, queue

log = logging.getLogger("leadheat.scoring")
_PENDING = "leadheat.pending_changes"
# Past this many changed leads in one tenant, listeners get one "reload" instead of each card.
RELOAD_ABOVE = 20


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """A lead's card changed: an interaction, an edit, or a new score (old is None when new)."""

    tenant_id: uuid.UUID
    lead_id: uuid.UUID
    old_score: int | None
    old_temperature: str | None
    new_score: int
    new_temperature: str
    # When, why (the event type, "created", "rules", "time"...) and the new breakdown, for
    # integrators; the dashboards need only the scores.
    at: datetime | None = None
    cause: str = ""
    breakdown: Mapping[str, Any] | None = None

    @property
    def rescored(self) -> bool:
        return (self.old_score, self.old_temperature) != (self.new_score, self.new_temperature)

    @property
    def moved(self) -> bool:
        """The card changes place in the list (a new lead, or a new temperature)."""
        return self.old_temperature != self.new_temperature


@dataclass(frozen=True, slots=True)
class TenantReload:
    """Many of a tenant's leads changed at once (a rule change, a sweep): reload, don't replay."""

    tenant_id: uuid.UUID
    leads: int


Change = ScoreChange | TenantReload
ScoreNotifier = Callable[[Sequence[Change]], Any]


def note(session: AsyncSession, notify: ScoreNotifier | None, changes: Sequence[Change]) -> None:
    """Announce `changes` when the session's transaction commits (never, if it rolls back), and
    queue each lead's messages for integrators in the same transaction."""
    if not changes:
        return
    session.info.setdefault(_PENDING, []).append((notify, coalesce(changes)))
    queue(session, [m for c in changes if isinstance(c, ScoreChange) for m in integrator_messages(c)])


def coalesce(changes: Sequence[Change]) -> list[Change]:
    """A few changes of a tenant are told one by one; many become one reload of its list."""
    per_tenant: dict[uuid.UUID, list[ScoreChange]] = defaultdict(list)
    told: list[Change] = []
    for c in changes:
        if isinstance(c, ScoreChange):
            per_tenant[c.tenant_id].append(c)
        else:
            told.append(c)
    for tenant_id, tenant_changes in per_tenant.items():
        if len(tenant_changes) > RELOAD_ABOVE:
            told.append(TenantReload(tenant_id, len(tenant_changes)))
        else:
            told.extend(tenant_changes)
    return told


def integrator_messages(change: ScoreChange) -> list[Message]:
    """lead.created for a new lead; lead.score_changed and lead.temperature_changed when they
    changed (a change that leaves both as they were tells integrators nothing)."""
    at = change.at or datetime.now(UTC)
    what = {
        "old_score": change.old_score,
        "new_score": change.new_score,
        "old_temperature": change.old_temperature,
        "new_temperature": change.new_temperature,
        "breakdown": dict(change.breakdown) if change.breakdown is not None else None,
        "cause": change.cause,
    }
    if change.old_score is None:
        # A re-score after a rule change or a sweep knows only the new score: not told (yet).
        if change.cause != "created":
            return []
        return [Message(change.tenant_id, change.lead_id, "lead.created", at, what)]
    messages = []
    if change.old_score != change.new_score:
        messages.append(Message(change.tenant_id, change.lead_id, "lead.score_changed", at, what))
    if change.old_temperature != change.new_temperature:
        messages.append(Message(change.tenant_id, change.lead_id, "lead.temperature_changed", at, what))
    return messages


def announce(notify: ScoreNotifier | None, changes: Sequence[Change]) -> None:
    """Log each committed score change and hand the changes to the notifier."""
    for c in changes:
        if isinstance(c, TenantReload):
            ids = {"tenant_id": c.tenant_id}
            log.info("Re-scored %d leads of tenant=%s", c.leads, c.tenant_id, extra=ids)
        elif c.rescored:
            log.info(
                "Updated lead score: %s (%s) tenant=%s lead=%s was=%s (%s)",
                c.new_score,
                c.new_temperature,
                c.tenant_id,
                c.lead_id,
                c.old_score,
                c.old_temperature,
                extra={"tenant_id": c.tenant_id, "lead_id": c.lead_id},
            )
    if changes and notify is not None:
        try:
            notify(changes)
        except Exception:  # the change is committed; a dashboard that misses it reloads later
            log.exception("Could not tell the dashboards about %d changes", len(changes))


@event.listens_for(Session, "after_commit")
def _announce_committed(session: Session) -> None:
    for notify, changes in session.info.pop(_PENDING, []):
        announce(notify, changes)


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction: Any) -> None:
    # After a commit nothing is left (announced above); after a rollback of the whole
    # transaction its changes are forgotten. A savepoint rolled back keeps the rest's changes.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def pending(session: AsyncSession) -> list[tuple[ScoreNotifier | None, list[Any]]]:
    """What would be announced at the next commit (for tests)."""
    return list(session.info.get(_PENDING, []))


def status_message(tenant_id: uuid.UUID, lead_id: uuid.UUID, old: Any, new: Any, at: datetime) -> Message:
    """lead.status_changed: an agent (or an integrator) moved the lead along."""
    what = {"old_status": getattr(old, "value", old), "new_status": getattr(new, "value", new)}
    return Message(tenant_id, lead_id, "lead.status_changed", at, what)


def assigned_message(tenant_id: uuid.UUID, lead_id: uuid.UUID, email: str | None, at: datetime) -> Message:
    """lead.assigned: the lead now belongs to this agent (None: to nobody)."""
    return Message(tenant_id, lead_id, "lead.assigned", at, {"assigned_to": email})
