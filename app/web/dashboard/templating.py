"""The Jinja environment of the dashboard: filters and globals the templates share."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from litestar.plugins.jinja import JinjaTemplateEngine

from app.domain.agents.passwords import MIN_PASSWORD_LENGTH
from app.web.dashboard.formatting import TEMPERATURES, ago, budget, duration, is_rtl, label
from app.web.dashboard.timeline import event_note


def local_time(moment: datetime | None, tenant: object) -> str:
    """A time in the agency's time zone: '11:25' today, else '24 Nov 11:25'."""
    if moment is None:
        return ""
    zone = ZoneInfo(getattr(tenant, "time_zone", None) or "UTC")
    local = moment.astimezone(zone)
    today = datetime.now(zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")


def configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.globals.update(
        temperatures=TEMPERATURES,
        budget=budget,
        ago=ago,
        local_time=local_time,
        min_password_length=MIN_PASSWORD_LENGTH,
        event_note=event_note,
    )
    env.filters.update(rtl=is_rtl, label=label, duration=duration)
