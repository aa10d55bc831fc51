"""Queue messages on a unit of work; they are written just before it commits, in its transaction.

A service that changes something calls `queue()`; nothing is written until the unit of work
ends well (`app.db.commit`), and then all its messages go in one statement. A message is
written only when someone will read it: the agency has an enabled webhook endpoint. The check
is part of the insert (no cache that could be stale and lose a message), so an agency without
endpoints pays one cheap statement per unit of work and stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.db import before_commit
from app.domain.outbox.models import OutboxMessage
from app.domain.webhooks.models import WebhookEndpoint

_QUEUED = "leadheat.outbox"
_WRITTEN = "leadheat.outbox_written"
# Called after a commit that wrote to the queue: the process's worker wakes at once instead of
# at its next poll (other processes' workers find the rows at theirs).
_on_written: list[Callable[[], None]] = []


def _insert_if_read() -> sa.Insert:
    """INSERT ... SELECT <the message> WHERE <its agency has an enabled endpoint>."""
    table, endpoints = OutboxMessage.__table__, WebhookEndpoint.__table__
    tenant = sa.bindparam("tenant_id", type_=table.c.tenant_id.type)
    at = sa.bindparam("at", type_=table.c.created_at.type)
    message = sa.select(
        tenant,
        sa.bindparam("lead_id", type_=table.c.lead_id.type),
        sa.bindparam("topic", type_=table.c.topic.type),
        sa.bindparam("data", type_=table.c.data.type),
        at,
        at,
    ).where(sa.exists().where(endpoints.c.tenant_id == tenant, endpoints.c.enabled))
    columns = ["tenant_id", "lead_id", "topic", "data", "created_at", "updated_at"]
    return sa.insert(table).from_select(columns, message)


_INSERT = _insert_if_read()


@dataclass(frozen=True, slots=True)
class Message:
    tenant_id: uuid.UUID
    lead_id: uuid.UUID | None
    topic: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


def queue(session: AsyncSession, messages: list[Message]) -> None:
    """Write `messages` in this session's transaction when its unit of work commits."""
    if not messages:
        return
    session.info.setdefault(_QUEUED, []).extend(messages)
    before_commit(session, write_queued)


async def write_queued(session: AsyncSession) -> None:
    messages: list[Message] = session.info.pop(_QUEUED, [])
    if not messages:
        return
    nudge(session)
    await session.execute(
        _INSERT,
        [
            {"tenant_id": m.tenant_id, "lead_id": m.lead_id, "topic": m.topic, "data": m.data, "at": m.at}
            for m in messages
        ],
    )


def nudge(session: AsyncSession) -> None:
    """Wake the workers when this session commits (something new waits for them)."""
    session.info[_WRITTEN] = True


def when_written(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after each commit in this process that queued something; returns the undo."""
    _on_written.append(callback)
    return lambda: _on_written.remove(callback)


def queued(session: AsyncSession) -> list[Message]:
    """What the next commit would write (for tests)."""
    return list(session.info.get(_QUEUED, []))


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    if session.info.pop(_WRITTEN, False):
        for callback in list(_on_written):
            callback()


@event.listens_for(Session, "after_transaction_end")
def _forget_unwritten(session: Session, transaction: object) -> None:
    if getattr(transaction, "parent", None) is None:
        session.info.pop(_QUEUED, None)
        session.info.pop(_WRITTEN, None)
