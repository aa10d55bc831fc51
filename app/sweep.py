"""The background sweeps: one brings stored scores (and so the list's order) up to date as
recency points run out (readers never wait for it: they compute the live score themselves);
another deletes ended login sessions and stale login-attempt counters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import reads_only, unit_of_work
from app.domain.agents.sessions import purge_expired_sessions
from app.domain.agents.throttle import LoginAttempts
from app.domain.clock import Clock
from app.domain.leads.changes import ScoreNotifier
from app.domain.leads.rescoring import LeadRescoring

log = logging.getLogger("leadheat.sweep")
PURGE_INTERVAL_SECONDS = 600.0
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def sweep_once(sessions: Sessions, clock: Clock, notify: ScoreNotifier | None = None) -> int:
    """Refresh the due leads of every tenant, each tenant in its own short transaction."""
    with reads_only():
        async with unit_of_work(sessions) as session:
            tenants = await LeadRescoring(session, clock).due_tenants()
    refreshed = 0
    for tenant_id in tenants:
        async with unit_of_work(sessions) as session:
            refreshed += await LeadRescoring(session, clock, notify).refresh_due(tenant_id)
    return refreshed


async def run_sweeps(
    sessions: Sessions, interval_seconds: float, clock: Clock, notify: ScoreNotifier | None = None
) -> None:
    """Sweep forever, every `interval_seconds`; a failed sweep is logged and retried next time."""
    while True:
        try:
            refreshed = await sweep_once(sessions, clock, notify)
            if refreshed:
                log.info("Sweep refreshed %d lead scores", refreshed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Score sweep failed; retrying in %.0f s", interval_seconds)
        await asyncio.sleep(interval_seconds)


async def purge_once(sessions: Sessions, clock: Clock) -> int:
    """Delete ended login sessions and login-attempt counters that no longer count."""
    async with unit_of_work(sessions) as session:
        now = clock()
        return await purge_expired_sessions(session, now) + await LoginAttempts(session).forget_old(now)


async def run_purges(sessions: Sessions, interval_seconds: float, clock: Clock) -> None:
    """Purge forever, every `interval_seconds`, in its own unit of work each time."""
    while True:
        try:
            purged = await purge_once(sessions, clock)
            if purged:
                log.info("Purged %d ended login sessions and old login counters", purged)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Purge failed; retrying in %.0f s", interval_seconds)
        await asyncio.sleep(interval_seconds)
