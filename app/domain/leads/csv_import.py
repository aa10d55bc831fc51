"""CSV import of existing leads (the original document's backfill), scored on the way in.

Columns are lead fields (`name`, `phone`, `budget_max`, ...) and, for history kept elsewhere,
the counters and `last_interaction_at`. Each row goes in on its own, so a bad row is
reported by its line number and the others still go in.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.errors import DomainError, InvalidInput
from app.domain.leads.profile import PROFILE_FIELDS
from app.domain.leads.service import LeadService

HISTORY_COUNTERS = ("qr_scan_count", "catalog_views", "messages_count", "voice_messages_count")
MAX_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    error: str
    field: str | None = None


@dataclass(slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


async def import_csv(service: LeadService, tenant_id: uuid.UUID, content: bytes) -> ImportResult:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text; save the CSV as UTF-8.", "file") from None
    if "\x00" in text:
        raise InvalidInput("The file contains NUL characters; is it really a CSV text file?", "file")
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
    except csv.Error as exc:
        raise InvalidInput(f"The CSV cannot be read: {exc}.", "file") from None
    if not columns:
        raise InvalidInput("The CSV has no header row; the first line names the columns.", "file")
    unknown = sorted(set(columns) - PROFILE_FIELDS - set(HISTORY_COUNTERS) - {"last_interaction_at"})
    if unknown:
        raise InvalidInput(f"Unknown column '{unknown[0]}'.", unknown[0])
    reader.fieldnames = columns
    result = ImportResult()
    rows = iter(reader)
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            result.errors.append(RowError(reader.line_num, f"The CSV cannot be read from here on: {exc}."))
            break
        line = reader.line_num
        number += 1
        if number > MAX_ROWS:
            result.errors.append(RowError(line, f"More than {MAX_ROWS} rows; split the file."))
            break
        try:
            profile, history = _split_row(row)
            _, created = await service.upsert(tenant_id, profile, source="import", history=history)
        except DomainError as exc:
            result.errors.append(RowError(line, exc.message, exc.field))
            continue
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


def _split_row(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    if None in row:
        raise InvalidInput("The row has more cells than the header has columns.")
    cells = {k: v.strip() for k, v in row.items() if v is not None and v.strip() != ""}
    profile = {k: v for k, v in cells.items() if k in PROFILE_FIELDS}
    history: dict[str, Any] = {}
    for counter in HISTORY_COUNTERS:
        if counter in cells:
            try:
                value = int(cells[counter])
            except ValueError:
                raise InvalidInput(f"{counter} must be a whole number.", counter) from None
            if not 0 <= value <= 1_000_000:
                raise InvalidInput(f"{counter} must be between 0 and 1000000.", counter)
            history[counter] = value
    if "last_interaction_at" in cells:
        try:
            when = datetime.fromisoformat(cells["last_interaction_at"])
        except ValueError:
            raise InvalidInput(
                "last_interaction_at must be an ISO-8601 time.", "last_interaction_at"
            ) from None
        if when.tzinfo is None:
            raise InvalidInput("last_interaction_at needs a UTC offset.", "last_interaction_at")
        history["last_interaction_at"] = when
    return profile, history
