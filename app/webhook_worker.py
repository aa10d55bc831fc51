"""The webhook worker: in the app process, one across processes on PostgreSQL.

It turns outbox messages into deliveries, sends each due delivery (signed, 10 s timeout,
redirects not followed, private addresses refused unless allowed), and writes down how it
went, each step in its own short unit of work; no transaction stays open during an HTTP call.
A crash between a receiver's 2xx and the write-down sends that message again (at least once;
receivers deduplicate on `webhook-id`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from sqlalchemy.ext.asyncio import AsyncSession

from app.bot.claims import BotClaims
from app.db import reads_only, unit_of_work
from app.domain.bots.service import decrypt_token
from app.domain.clock import Clock
from app.domain.outbox.writer import when_written
from app.domain.webhooks import queue
from app.domain.webhooks.signing import signed_headers
from app.domain.webhooks.urls import is_public_address

log = logging.getLogger("leadheat.webhooks")
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]
# The advisory-lock key that makes one process the webhook worker (see app.bot.claims).
WORKER_KEY = uuid.UUID("00000000-0000-7000-8000-00000000b00c")
TIMEOUT_SECONDS = 10
CONCURRENCY = 16


class PublicOnlyResolver(AbstractResolver):
    """Resolves as usual, then drops private, loopback and link-local addresses: a public name
    that points inside the network (or starts to, later) cannot be reached through a webhook."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = [r for r in await self._resolver.resolve(host, port, family) if is_public_address(r["host"])]
        if not found:
            raise OSError(f"{host} resolves to no public address; webhooks go to public addresses only")
        return found

    async def close(self) -> None:
        await self._resolver.close()


class WebhookWorker:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        secret_key: str,
        lead_view: queue.LeadView,
        claims: BotClaims,
        *,
        allow_private: bool,
        poll_seconds: float = 0.5,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.secret_key = secret_key
        self.lead_view = lead_view
        self.claims = claims
        self.allow_private = allow_private
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    async def run(self) -> None:
        forget = when_written(self._wake.set)
        try:
            async with self._http() as http:
                while True:
                    try:
                        busy = await self.once(http)
                    except Exception:  # the database or the network went away: try again soon
                        log.exception("Webhook worker pass failed")
                        busy = False
                    if not busy:
                        await self._idle()
        finally:
            forget()
            await self.claims.close()

    def _http(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=CONCURRENCY, resolver=None if self.allow_private else PublicOnlyResolver()
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            headers={"user-agent": "LeadHeat-Webhooks/1"},
        )

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def once(self, http: aiohttp.ClientSession) -> bool:
        """One pass: dispatch, send what is due, write it down. True if there was work."""
        if not await self.claims.claim(WORKER_KEY):
            return False  # another process is the worker
        async with unit_of_work(self.sessions) as session:
            dispatched = await queue.dispatch(session, self.clock, self.lead_view)
        with reads_only():
            async with unit_of_work(self.sessions) as session:
                due = await queue.due(session, self.clock())
        if not due:
            return dispatched > 0
        sent = await asyncio.gather(*(self._send_in_order(http, q) for q in due))
        async with unit_of_work(self.sessions) as session:
            disabled = await queue.record(session, self.clock(), [a for attempts in sent for a in attempts])
        for endpoint in disabled:
            log.warning(
                "Webhook endpoint %s of tenant=%s disabled: %s",
                endpoint.url,
                endpoint.tenant_id,
                endpoint.disabled_reason,
            )
        return True

    async def _send_in_order(
        self, http: aiohttp.ClientSession, deliveries: list[queue.Due]
    ) -> list[queue.Attempt]:
        """One lead's deliveries to one endpoint, one after another, up to the first failure."""
        attempts = []
        for delivery in deliveries:
            attempts.append(await self._send(http, delivery))
            if not attempts[-1].succeeded:
                break
        return attempts

    async def _send(self, http: aiohttp.ClientSession, due: queue.Due) -> queue.Attempt:
        secret = decrypt_token(due.secret_encrypted, self.secret_key)
        if secret is None:
            return queue.Attempt(due.id, None, "The signing secret cannot be read (SECRET_KEY changed).")
        # Receivers check the timestamp against their own wall clock, so it is the real time.
        headers = signed_headers(secret, due.message_id, datetime.now(UTC), due.body)
        try:
            async with http.post(
                due.url, data=due.body.encode(), headers=headers, allow_redirects=False
            ) as answer:
                return queue.Attempt(
                    due.id, answer.status, None if answer.status < 300 else f"HTTP {answer.status}"
                )
        except TimeoutError:
            return queue.Attempt(due.id, None, f"No answer within {TIMEOUT_SECONDS} s.")
        except (aiohttp.ClientError, OSError) as exc:
            return queue.Attempt(due.id, None, f"{type(exc).__name__}: {exc}"[:500])
