"""A lead's milestones: when it first turned hot, how hot it ever got, when it was first contacted.

They are written by every path that changes a lead's temperature or status (create, edit,
an interaction on either backend, the bulk intake, the re-score and the sweep), always in
the same statement as the temperature itself, and once set they never move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.domain.enums import CONTACTED_STATUSES, LeadStatus
from app.domain.scoring import Temperature

# Speed-to-lead starts when a lead first reaches one of these.
HOT_BANDS = (Temperature.HOT, Temperature.BURNING)
RANK = {Temperature.COLD: 0, Temperature.WARM: 1, Temperature.HOT: 2, Temperature.BURNING: 3}


def hotter(current: Temperature | str | None, new: Temperature | str) -> Temperature:
    """The hotter of the two (None: never scored yet)."""
    new = Temperature(new)
    if current is None:
        return new
    current = Temperature(current)
    return new if RANK[new] > RANK[current] else current


def after_temperature(lead: Any, temperature: Temperature, now: datetime) -> None:
    """On a loaded lead: note its new temperature's milestones."""
    if lead.hot_at is None and temperature in HOT_BANDS:
        lead.hot_at = now
    lead.peak_temperature = hotter(lead.peak_temperature, temperature)


def after_status(lead: Any, status: LeadStatus | str, temperature: Temperature, now: datetime) -> None:
    """On a loaded lead: moving to a contacted status is its first contact, if none was yet."""
    if lead.first_contacted_at is None and LeadStatus(status) in CONTACTED_STATUSES:
        lead.first_contacted_at = now
        lead.contacted_temperature = temperature


def _is(temperature: Any, value: Temperature) -> sa.ColumnElement[bool]:
    # A constant, not a bound list: the bulk intake runs these statements with executemany.
    return temperature == sa.literal_column(f"'{value.value}'", sa.String())


def _rank(temperature: Any) -> sa.ColumnElement[int]:
    return sa.case(
        *((_is(temperature, t), rank) for t, rank in RANK.items()),
        else_=-1,  # NULL: never scored yet
    )


def sql_milestones(temperature: Any, now: Any, hot_at: Any, peak: Any) -> dict[str, sa.ColumnElement[Any]]:
    """The SET of `hot_at` and `peak_temperature`, given the new temperature's expression, now,
    and the row's current `hot_at` and `peak_temperature` columns."""
    return {
        "hot_at": sa.func.coalesce(
            hot_at, sa.case((sa.or_(*(_is(temperature, t) for t in HOT_BANDS)), now), else_=sa.null())
        ),
        "peak_temperature": sa.case((_rank(temperature) > _rank(peak), temperature), else_=peak),
    }


def sql_milestones_text(temperature: str, now: str, table: str) -> str:
    """The same as PostgreSQL text for hand-written statements, e.g.
    `sql_milestones_text("scored.temperature", "$6::timestamptz", "lead")`."""

    def column(text: str) -> Any:
        return sa.literal_column(text, sa.String())

    values = sql_milestones(
        column(temperature), column(now), column(f"{table}.hot_at"), column(f"{table}.peak_temperature")
    )
    dialect = postgresql.dialect()
    return ", ".join(
        f"{name} = {expression.compile(dialect=dialect, compile_kwargs={'literal_binds': True})}"
        for name, expression in values.items()
    )
