"""Score changes to open dashboards: published on a per-tenant channel, streamed as SSE.

NOTIFY payloads stay small (ids and scores); each subscriber renders the card itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy.engine import make_url

from app.config import Settings
from app.domain.leads.service import ScoreChange


def tenant_channel(tenant_id: object) -> str:
    return f"tenant_{str(tenant_id).replace('-', '')}"


def build_channels(settings: Settings) -> ChannelsPlugin:
    """In memory with SQLite; LISTEN/NOTIFY with PostgreSQL so every app process sees every change."""
    if settings.is_sqlite:
        backend = MemoryChannelsBackend(history=0)
    else:
        dsn = (
            make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        backend = AsyncPgChannelsBackend(dsn=dsn)
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True, subscriber_max_backlog=1000)


class ScorePublisher:
    """The lead service's notifier: one small message per changed lead."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels

    def __call__(self, changes: Sequence[ScoreChange]) -> None:
        for change in changes:
            payload = {
                "lead": str(change.lead_id),
                "score": change.new_score,
                "temperature": change.new_temperature,
                "moved": change.old_temperature != change.new_temperature,
            }
            self.channels.publish(json.dumps(payload), channels=[tenant_channel(change.tenant_id)])
