"""One unit of work per Telegram update, and the replies sent once it has committed.

The middleware opens a database session for the update, hands the handlers their services on
it (`leads`, `catalogs`, `campaigns`) and a `Replies` collector, commits when the handler
returns and rolls back when it raises. Only then are the collected replies sent, in order: a
lead is never thanked for something that was not saved, and no transaction (on SQLite: the
write lock) stays open while Telegram answers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import unit_of_work
from app.domain.campaigns.service import CampaignService
from app.domain.catalogs.service import CatalogService
from app.domain.clock import Clock
from app.domain.leads.changes import ScoreNotifier
from app.domain.leads.service import LeadService

log = logging.getLogger("leadheat.bot")
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]
AfterSent = Callable[[Any], Awaitable[None]]


@dataclass
class Replies:
    """What the bot says in answer to one update, sent after the commit."""

    items: list[tuple[TelegramMethod[Any], AfterSent | None]] = field(default_factory=list)

    def add(self, method: TelegramMethod[Any], after_sent: AfterSent | None = None) -> None:
        """`method` is an un-awaited call such as `message.answer(...)`; `after_sent` gets its
        result (e.g. the file id Telegram gave an uploaded catalog)."""
        self.items.append((method, after_sent))

    async def send(self, bot: Bot) -> None:
        for method, after_sent in self.items:
            try:
                result = await bot(method)
            except Exception:  # the change is saved; one failed reply must not hide the others
                log.exception("Could not send %s", type(method).__name__)
                continue
            if after_sent is not None:
                await after_sent(result)


class UnitOfWork(BaseMiddleware):
    def __init__(self, sessions: Sessions, clock: Clock, notify: ScoreNotifier | None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.notify = notify

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        replies = Replies()
        try:
            async with unit_of_work(self.sessions) as session:
                data["leads"] = LeadService(session, self.clock, self.notify)
                data["catalogs"] = CatalogService(session)
                data["campaigns"] = CampaignService(session)
                data["replies"] = replies
                result = await handler(event, data)
        except Exception:
            ctx = data.get("ctx")
            user = data.get("event_from_user")
            if ctx is not None and user is not None:  # a lead created in the rolled-back work
                ctx.known_leads.pop(user.id, None)
            raise
        await replies.send(data["bot"])
        return result


async def in_own_unit_of_work(
    sessions: Sessions, work: Callable[[AsyncSession], Awaitable[None]], tenant_id: uuid.UUID
) -> None:
    """Follow-up work after a reply was sent (e.g. remembering a file id), committed on its own."""
    try:
        async with unit_of_work(sessions) as session:
            await work(session)
    except Exception:
        log.exception("Follow-up work of tenant %s failed", tenant_id)
