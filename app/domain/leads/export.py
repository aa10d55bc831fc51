"""Every lead of a tenant out, as CSV or NDJSON, streamed in constant memory.

The columns are the lead table's own (so a column added later is exported too), with the
score, temperature and next boundary computed live by the tenant's rule (its SQL form, which a
property test holds equal to `RuleSet.score`), and the interaction total. Rows are read through
a server-side cursor in batches and encoded batch by batch; the export runs in a reading unit
of work of its own, since it outlives the request's (which ends when the response starts).
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
        return "text/csv" if self is ExportFormat.CSV else "application/x-ndjson"

    @classmethod
    def parse(cls, value: str) -> ExportFormat:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InvalidInput("format must be csv or ndjson.", "format") from None


def export_columns() -> list[str]:
    """The table's columns in their order, then the computed ones."""
    return [c.name for c in _exported()] + list(COMPUTED)


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
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Batches of rows, each value in `export_columns()` order."""
        with reads_only():
            async with unit_of_work(self.sessions) as session:
                rules = await rules_for(session, tenant_id)
                live = rules.sql_values(LEAD_TABLE, self.clock())
                c = LEAD_TABLE.c
                stmt = (
                    sa.select(
                        *(live[col.name].label(col.name) if col.name in live else col for col in _exported()),
                        (c.qr_scan_count + c.catalog_views + c.messages_count).label("total_interactions"),
                    )
                    .where(c.tenant_id == tenant_id, *conditions)
                    .order_by(c.lead_score.desc(), c.created_at.desc(), c.id.desc())
                    .execution_options(yield_per=BATCH)
                )
                result = await session.stream(stmt)
                async for batch in result.partitions(BATCH):
                    yield [tuple(row) for row in batch]


def _exported() -> list[sa.Column[Any]]:
    return [c for c in LEAD_TABLE.columns if c.name not in _NOT_EXPORTED]


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _text_cell(value: str | None) -> str | None:
    return "'" + value if value and value.startswith(FORMULA_STARTS) else value


def _time_cell(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _csv_converters() -> list[tuple[int, Callable[[Any], Any]]]:
    """Which cells need more than the csv module does (None is an empty cell, enums and UUIDs
    print as their value), decided once from the column types: free text is escaped against
    formulas, times are ISO-8601."""
    converters = []
    for index, column in enumerate(_exported()):
        if isinstance(column.type, sa.Enum):
            continue  # a closed vocabulary: nothing a spreadsheet would run
        try:
            python_type = getattr(column.type, "impl", column.type).python_type
        except NotImplementedError:  # SQLAlchemy's answer for types without one (GUID, JSON)
            continue  # ids and JSON print as they are; no formula can start them
        if python_type is str:
            converters.append((index, _text_cell))
        elif python_type is datetime:
            converters.append((index, _time_cell))
    return converters


async def _csv(batches: AsyncIterator[list[tuple[Any, ...]]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_columns())
    yield _drain(buffer)
    converters = _csv_converters()
    async for batch in batches:
        for row in batch:
            cells = list(row)
            for index, convert in converters:
                cells[index] = convert(cells[index])
            writer.writerow(cells)
        yield _drain(buffer)


async def _ndjson(batches: AsyncIterator[list[tuple[Any, ...]]]) -> AsyncIterator[bytes]:
    columns = export_columns()
    # msgspec writes datetimes as RFC 3339 and UUIDs as text itself; enums go by value.
    encoder = msgspec.json.Encoder(enc_hook=_plain)
    async for batch in batches:
        yield b"".join(encoder.encode(dict(zip(columns, row, strict=True))) + b"\n" for row in batch)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data
