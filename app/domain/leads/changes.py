"""What changed about leads, told to the world only once it is committed.

Services never commit. They note each change on the session they work in (`note()`); whoever
ends the unit of work commits, and only then are the changes logged and handed to the notifier
(the open dashboards). A rolled-back change is never announced, and a change is announced by
the process that made it exactly once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

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
    """Announce `changes` when the session's transaction commits (never, if it rolls back)."""
    if changes:
        session.info.setdefault(_PENDING, []).append((notify, list(changes)))


def coalesce(tenant_id: uuid.UUID, changes: Sequence[ScoreChange]) -> list[Change]:
    """A few changes are told one by one; many become one reload of the tenant's list."""
    if len(changes) > RELOAD_ABOVE:
        return [TenantReload(tenant_id, len(changes))]
    return list(changes)


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


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def pending(session: AsyncSession) -> list[tuple[ScoreNotifier | None, list[Any]]]:
    """What would be announced at the next commit (for tests)."""
    return list(session.info.get(_PENDING, []))
