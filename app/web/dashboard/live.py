"""Score changes to open dashboards: published on a per-tenant channel, streamed as SSE.

NOTIFY payloads stay small (ids and scores); each subscriber renders the card itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import asyncpg
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy.engine import make_url

from app.config import Settings
from app.domain.leads.service import ScoreChange


class PersistentAsyncPgChannelsBackend(AsyncPgChannelsBackend):
    """Litestar's asyncpg backend opens and closes a connection for every publish (a backend
    fork in PostgreSQL and a TLS attempt each time); this one keeps one publishing connection.
    Publishes are sent one at a time by the plugin's single worker, so one connection is enough."""

    _publisher: asyncpg.Connection | None = None

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        if self._queue is None:
            raise RuntimeError("Backend not yet initialized. Did you forget to call on_startup?")
        payload = data.decode("utf-8")
        for attempt in range(2):
            try:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await self._connect()
                for channel in channels:
                    await self._publisher.execute("SELECT pg_notify($1, $2)", channel, payload)
                return
            except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError):
                self._publisher = None  # reconnect once, then let it fail as before
                if attempt:
                    raise

    async def on_shutdown(self) -> None:
        if self._publisher is not None:
            await self._publisher.close()
            self._publisher = None
        await super().on_shutdown()


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
        backend = PersistentAsyncPgChannelsBackend(dsn=dsn)
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
