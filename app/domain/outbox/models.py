"""One row per thing that happened and must be told outside (a webhook, an agent's alert).

Rows are written in the same transaction as the change they describe, so a committed change
always has its message and a rolled-back one never does. The id is a sequence value taken
while the lead's row is locked, so a lead's messages are numbered in the order they happened;
the dispatcher reads them in that order and deletes each once it became deliveries, so the
table holds only the queue.
"""

from __future__ import annotations

import uuid
from typing import Any

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column


class OutboxMessage(BigIntAuditBase):
    __tablename__ = "outbox_message"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    # No foreign key: a message about a lead may outlive it (an erased lead's pending messages
    # are deleted with it by the erasure itself).
    lead_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    topic: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JsonB)
