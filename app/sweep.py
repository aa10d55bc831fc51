"""The background sweep: refreshes leads whose recency boundary has passed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import Clock
from app.domain.leads.service import LeadService, ScoreNotifier

log = logging.getLogger("leadheat.sweep")


async def run_sweeps(
    session_factory: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    interval_seconds: float,
    clock: Clock,
    notify: ScoreNotifier | None = None,
) -> None:
    """Sweep forever, every `interval_seconds`; a failed sweep is logged and retried next time."""
    while True:
        try:
            async with session_factory() as session:
                refreshed = await LeadService(session, clock, notify).sweep()
            if refreshed:
                log.info("Sweep refreshed %d lead scores", refreshed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Score sweep failed; retrying in %.0f s", interval_seconds)
        await asyncio.sleep(interval_seconds)
