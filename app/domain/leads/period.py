"""A report's period: whole days in the agency's time zone, both ends included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.errors import InvalidInput

DEFAULT_DAYS = 90
MAX_DAYS = 3660


# Days a report can name: the far ends of the calendar overflow once turned into times.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)


@dataclass(frozen=True, slots=True)
class Period:
    first_day: date
    last_day: date
    start: datetime  # the first day's midnight, in the agency's zone
    end: datetime  # the midnight after the last day

    @classmethod
    def of(cls, first: date | None, last: date | None, time_zone: str, now: datetime) -> Period:
        zone = ZoneInfo(time_zone)
        last = last or now.astimezone(zone).date()
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        for name, day in (("from", first), ("to", last)):
            if not EARLIEST_DAY <= day <= LATEST_DAY:
                raise InvalidInput(f"{name} must be a day between {EARLIEST_DAY} and {LATEST_DAY}.", name)
        if first > last:
            raise InvalidInput("from must not be after to.", "from")
        if (last - first).days >= MAX_DAYS:
            raise InvalidInput(f"A period may span at most {MAX_DAYS} days.", "from")
        start = datetime.combine(first, time(), zone)
        end = datetime.combine(last + timedelta(days=1), time(), zone)
        return cls(first, last, start, end)
