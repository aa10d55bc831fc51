"""Every lead of a tenant out, as CSV or NDJSON, streamed in constant memory.

The columns are the lead table's own (so a column added later is exported too), with the
score and temperature computed live by the tenant's rule, and the interaction total. Rows are
read through a server-side cursor in batches and encoded batch by batch; the export runs in a
reading unit of work of its own, since it outlives the request's (which ends when the response
starts).
"""

from __future__ import annotations

import csv
import enum
import io
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import reads_only, unit_of_work
from app.domain.clock import Clock, system_clock
from app.domain.errors import InvalidInput
from app.domain.leads.models import Lead
from app.domain.leads.queries import LeadFilters
from app.domain.scoring import LeadState
from app.domain.tenants.rules import rules_for

BATCH = 1_000
LEAD_TABLE = Lead.__table__
# Bookkeeping of the ORM, not data.
_NOT_EXPORTED = frozenset({"sa_orm_sentinel"})
# Added to the table's columns: what a reader of the list sees besides the stored row.
COMPUTED = ("total_interactions",)
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"

    @property
    def media_type(self) -> str:
        return "text/csv; charset=utf-8" if self is ExportFormat.CSV else "application/x-ndjson"

    @classmethod
    def parse(cls, value: str) -> ExportFormat:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InvalidInput("format must be csv or ndjson.", "format") from None


def export_columns() -> list[str]:
    """The table's columns in their order, then the computed ones."""
    return [c.name for c in LEAD_TABLE.columns if c.name not in _NOT_EXPORTED] + list(COMPUTED)


def escape_formula(text: str) -> str:
    """A cell a spreadsheet would run as a formula, made plain text with a leading quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class LeadExport:
    """One tenant's leads, filtered as the list is, in the list's order, scored at `now`."""

    sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]]
    clock: Clock = system_clock

    def stream(self, tenant_id: uuid.UUID, filters: LeadFilters, kind: ExportFormat) -> AsyncIterator[bytes]:
        # Checked now, while an error can still be a 4xx answer.
        conditions = replace(filters, after=None).conditions()
        rows = self._rows(tenant_id, conditions)
        return _csv(rows) if kind is ExportFormat.CSV else _ndjson(rows)

    async def _rows(
        self, tenant_id: uuid.UUID, conditions: list[sa.ColumnElement[bool]]
    ) -> AsyncIterator[list[dict[str, Any]]]:
        columns = [c for c in LEAD_TABLE.columns if c.name not in _NOT_EXPORTED]
        stmt = (
            sa.select(*columns)
            .where(LEAD_TABLE.c.tenant_id == tenant_id, *conditions)
            .order_by(LEAD_TABLE.c.lead_score.desc(), LEAD_TABLE.c.created_at.desc(), LEAD_TABLE.c.id.desc())
            .execution_options(yield_per=BATCH)
        )
        with reads_only():
            async with unit_of_work(self.sessions) as session:
                rules = await rules_for(session, tenant_id)
                now = self.clock()
                result = await session.stream(stmt)
                async for batch in result.mappings().partitions(BATCH):
                    yield [_scored(dict(row), rules, now) for row in batch]


def _scored(row: dict[str, Any], rules: Any, now: datetime) -> dict[str, Any]:
    score = rules.score(LeadState.of(row), now)
    row["lead_score"] = score.total
    row["temperature"] = score.temperature.value
    row["score_valid_until"] = score.next_boundary
    row["total_interactions"] = row["qr_scan_count"] + row["catalog_views"] + row["messages_count"]
    return row


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _cell(value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    return escape_formula(value) if isinstance(value, str) else value


async def _csv(batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    columns = export_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield _drain(buffer)
    async for batch in batches:
        writer.writerows([_cell(row.get(name)) for name in columns] for row in batch)
        yield _drain(buffer)


async def _ndjson(batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    columns = export_columns()
    encoder = msgspec.json.Encoder()
    async for batch in batches:
        yield b"".join(_line(encoder, {name: _plain(row.get(name)) for name in columns}) for row in batch)


def _line(encoder: msgspec.json.Encoder, record: dict[str, Any]) -> bytes:
    return encoder.encode(record) + b"\n"


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data
