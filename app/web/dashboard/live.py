"""Live cards for the open dashboards: each change rendered once per process, fanned out.

A committed change is published as a small message (tenant, lead ids) on one channel: in
memory with SQLite, LISTEN/NOTIFY with PostgreSQL so every app process hears every change.
Each process keeps one subscription to that channel for its whole life (streams never LISTEN
or UNLISTEN themselves), and one `LiveHub` that, for a tenant with open streams here, reads the
changed leads once, renders each card once and hands the same HTML to every open stream of that
tenant. Opening and closing a stream only adds or removes a queue, so a closed tab can never
silence the next one. A stream ends when its login session ends or its agent is deactivated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import reads_only, unit_of_work
from app.domain.agents.sessions import live_streams_still_allowed
from app.domain.clock import Clock
from app.domain.leads.changes import Change, ScoreChange, TenantReload
from app.domain.leads.queries import LeadQueries, ScoredLead
from app.domain.tenants.models import Tenant

log = logging.getLogger("leadheat.live")
CHANNEL = "leadheat_cards"
# Ids per message: a NOTIFY payload must stay under 8,000 bytes.
IDS_PER_MESSAGE = 100
# A stream that falls this far behind (a stalled client) is told to reload instead.
STREAM_BACKLOG = 200
# How often open streams are checked against their login sessions and agents.
SESSION_CHECK_SECONDS = 5.0
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]
CardRenderer = Callable[[ScoredLead, Tenant | None, datetime], str]


class PersistentAsyncPgChannelsBackend(AsyncPgChannelsBackend):
    """Litestar's asyncpg backend opens and closes a connection for every publish (a backend
    fork in PostgreSQL and a TLS attempt each time); this one keeps one publishing connection.
    Publishes are sent one at a time by the plugin's single worker, so one connection is enough."""

    _publisher: asyncpg.Connection | None = None

    async def publish(self, data: bytes, channels: Any) -> None:
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


def build_channels(settings: Settings) -> ChannelsPlugin:
    """In memory with SQLite; LISTEN/NOTIFY with PostgreSQL so every app process sees every change."""
    if settings.is_sqlite:
        backend = MemoryChannelsBackend(history=0)
    else:
        dsn = (
            make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        backend = PersistentAsyncPgChannelsBackend(dsn=dsn)
    return ChannelsPlugin(backend=backend, channels=[CHANNEL], subscriber_max_backlog=10_000)


class CardPublisher:
    """The services' notifier: committed changes, as small messages on the one channel."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels

    def __call__(self, changes: Sequence[Change]) -> None:
        for message in encode_changes(changes):
            self.channels.publish(message, channels=[CHANNEL])


def encode_changes(changes: Sequence[Change]) -> list[bytes]:
    """Per tenant: a reload, or the changed lead ids (and whether any card changes place)."""
    reloads = {c.tenant_id for c in changes if isinstance(c, TenantReload)}
    cards: dict[uuid.UUID, list[ScoreChange]] = defaultdict(list)
    for c in changes:
        if isinstance(c, ScoreChange) and c.tenant_id not in reloads:
            cards[c.tenant_id].append(c)
    messages = [msgspec.json.encode({"t": tenant.hex, "reload": True}) for tenant in reloads]
    for tenant, tenant_changes in cards.items():
        for start in range(0, len(tenant_changes), IDS_PER_MESSAGE):
            part = tenant_changes[start : start + IDS_PER_MESSAGE]
            messages.append(
                msgspec.json.encode(
                    {
                        "t": tenant.hex,
                        "ids": [c.lead_id.hex for c in part],
                        "moved": any(c.moved for c in part),
                    }
                )
            )
    return messages


class _Message(msgspec.Struct):
    t: str
    ids: list[str] = []
    moved: bool = False
    reload: bool = False


@dataclass(eq=False)
class Stream:
    """One open dashboard: its agent and login session, and the messages waiting for it."""

    tenant_id: uuid.UUID
    agent_id: uuid.UUID
    session_id: str | None
    queue: asyncio.Queue[tuple[str, str] | None] = field(
        default_factory=lambda: asyncio.Queue(STREAM_BACKLOG)
    )

    def push(self, event: str, data: str) -> None:
        try:
            self.queue.put_nowait((event, data))
        except asyncio.QueueFull:  # far behind: drop what waits, let the page reload its list
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(("reload", ""))

    def end(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class LiveHub:
    def __init__(self, channels: ChannelsPlugin, sessions: Sessions, clock: Clock) -> None:
        self.channels = channels
        self.sessions = sessions
        self.clock = clock
        self.render: CardRenderer | None = None
        self.streams: dict[uuid.UUID, set[Stream]] = defaultdict(set)
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    # ---- streams ------------------------------------------------------------------------

    @contextlib.contextmanager
    def open(self, tenant_id: uuid.UUID, agent_id: uuid.UUID, session_id: str | None) -> Iterator[Stream]:
        """A stream for as long as the block runs. Plain set operations, no awaiting: a stream
        cancelled while closing (a closed tab) still leaves everything as it was."""
        stream = Stream(tenant_id, agent_id, session_id)
        self.streams[tenant_id].add(stream)
        try:
            yield stream
        finally:
            tenant_streams = self.streams.get(tenant_id)
            if tenant_streams is not None:
                tenant_streams.discard(stream)
                if not tenant_streams:
                    del self.streams[tenant_id]

    def open_streams(self) -> int:
        return sum(len(s) for s in self.streams.values())

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, render: CardRenderer) -> None:
        """Subscribe once, for the life of the process, and start fanning out."""
        self.render = render
        subscriber = await self.channels.subscribe([CHANNEL])
        self._tasks = [
            asyncio.create_task(self._receive(subscriber), name="live-receive"),
            asyncio.create_task(self._fan_out(), name="live-fan-out"),
            asyncio.create_task(self._check_sessions(), name="live-sessions"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for tenant_streams in list(self.streams.values()):
            for stream in list(tenant_streams):
                stream.end()

    async def _receive(self, subscriber: Any) -> None:
        async for raw in subscriber.iter_events():
            self._inbox.put_nowait(raw)

    async def _fan_out(self) -> None:
        while True:
            batch = [await self._inbox.get()]
            while not self._inbox.empty():  # a burst is read and rendered together
                batch.append(self._inbox.get_nowait())
            try:
                await self.deliver(batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed read or render must not end live updates
                log.exception("Could not deliver %d live messages", len(batch))

    async def deliver(self, raw_messages: Sequence[bytes]) -> None:
        """Render each changed card of a tenant with open streams once; push it to each."""
        reload: set[uuid.UUID] = set()
        ids: dict[uuid.UUID, dict[uuid.UUID, None]] = defaultdict(dict)
        moved: set[uuid.UUID] = set()
        for raw in raw_messages:
            message = msgspec.json.decode(raw, type=_Message)
            tenant_id = uuid.UUID(message.t)
            if tenant_id not in self.streams:
                continue  # nobody of that agency watches from this process
            if message.reload:
                reload.add(tenant_id)
            for lead in message.ids:
                ids[tenant_id][uuid.UUID(lead)] = None
            if message.moved:
                moved.add(tenant_id)
        for tenant_id in reload:
            self._push(tenant_id, "reload", "")
        pending = {t: list(lead_ids) for t, lead_ids in ids.items() if t not in reload}
        if not pending:
            return
        with reads_only():
            async with unit_of_work(self.sessions) as session:
                now = self.clock()
                for tenant_id, lead_ids in pending.items():
                    queries = LeadQueries(session, self.clock)
                    tenant = await session.get(Tenant, tenant_id)
                    for scored in await queries.many(tenant_id, lead_ids):
                        assert self.render is not None
                        html = self.render(scored, tenant, now)
                        self._push(tenant_id, f"lead-{scored.lead.id}", html)
                    if tenant_id in moved:
                        self._push(tenant_id, "reorder", "")

    def _push(self, tenant_id: uuid.UUID, event: str, data: str) -> None:
        for stream in list(self.streams.get(tenant_id, ())):
            stream.push(event, data)

    async def _check_sessions(self) -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            try:
                await self.end_finished_sessions()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Could not check the live streams' sessions")

    async def end_finished_sessions(self) -> int:
        """End the streams whose login session ended (logout, expiry) or whose agent was
        deactivated; returns how many ended."""
        streams = [s for tenant_streams in self.streams.values() for s in tenant_streams]
        if not streams:
            return 0
        with reads_only():
            async with unit_of_work(self.sessions) as session:
                allowed = await live_streams_still_allowed(
                    session, [(s.agent_id, s.session_id) for s in streams], self.clock()
                )
        ended = 0
        for stream in streams:
            if (stream.agent_id, stream.session_id) not in allowed:
                stream.end()
                ended += 1
        return ended
