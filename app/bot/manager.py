"""Polls every agency's bot in this process; picks up added, changed and removed tokens.

Each bot gets its own aiogram Dispatcher (its own router and FSM storage) and polling task.
A token Telegram rejects is marked `rejected` and left alone until it changes; Telegram being
unreachable is logged and retried; neither stops the other bots, the API or the dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetFile,
    GetMe,
    GetUpdates,
    SendDocument,
    SendMessage,
)
from aiogram.methods.base import Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.bot.claims import BotClaims, OneProcess
from app.bot.handlers import BotContext, build_router
from app.bot.ordering import OnePerUser
from app.bot.unit_of_work import UnitOfWork
from app.db import reads_only, unit_of_work
from app.domain.bots.service import BotCredentials, BotTokenService
from app.domain.clock import Clock
from app.domain.leads.changes import ScoreNotifier

log = logging.getLogger("leadheat.bot")
ALLOWED_UPDATES = ["message", "callback_query"]
# aiogram parses every Bot API reply with Response[method.__returning__]. pydantic caches a
# parametrized model only weakly, so once the garbage collector frees it the next call builds
# the class and its validator again (~3 ms for Response[Message], ~12 ms for
# Response[list[Update]]), about one call in three under load. Holding the types keeps them.
RESPONSE_TYPES = [
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        GetMe,
        GetUpdates,
        SendMessage,
        EditMessageText,
        AnswerCallbackQuery,
        SendDocument,
        GetFile,
    )
]
# Updates of one bot handled at once. Beyond it polling waits, so a burst stays queued at
# Telegram instead of piling up tasks that time out waiting for a database connection (aiogram
# would log and drop those updates). Well under the pool (10 + 20 overflow) shared with the web.
HANDLED_AT_ONCE = 20
MAX_RETRY_SECONDS = 300.0  # an unreachable Telegram is tried at least every five minutes


@dataclass
class Unreachable:
    """A bot that could not reach Telegram at start: when to try again."""

    token: str
    failures: int
    retry_at: datetime  # on the app's clock, so a test moves time instead of waiting


@dataclass
class RunningBot:
    token: str
    bot: Bot
    task: asyncio.Task[None]


class BotManager:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        secret_key: str,
        clock: Clock,
        notify: ScoreNotifier | None,
        api_url: str | None = None,
        refresh_seconds: float = 10.0,
        polling_timeout: int = 10,
        claims: BotClaims | None = None,
    ) -> None:
        self.sessions = sessions
        self.claims = claims or OneProcess()
        self.secret_key = secret_key
        self.clock = clock
        self.notify = notify
        self.api_url = api_url
        self.refresh_seconds = refresh_seconds
        self.polling_timeout = polling_timeout
        self.running: dict[uuid.UUID, RunningBot] = {}
        self.rejected: dict[uuid.UUID, str] = {}  # tenant -> token Telegram refused
        self.unreachable: dict[uuid.UUID, Unreachable] = {}

    async def run(self) -> None:
        """Keep the running bots in line with the stored tokens, forever."""
        try:
            while True:
                try:
                    await self.sync()
                except Exception:  # noqa: BLE001 - a database hiccup must not end the bots
                    log.exception("Could not load the bot tokens; retrying")
                await asyncio.sleep(self.refresh_seconds)
        finally:
            await self.stop_all()
            await self.claims.close()

    async def sync(self) -> None:
        if not await self.claims.still_held():  # our claims are gone: another process may poll now
            log.warning("Lost the connection that holds the bots' claims; stopping them to claim again")
            await self.stop_all()
        with reads_only():
            async with unit_of_work(self.sessions) as session:
                tokens = await BotTokenService(session, self.secret_key).all_tokens()
        wanted = {c.tenant_id: c for c in tokens}
        for tenant_id, running in list(self.running.items()):
            if tenant_id not in wanted or wanted[tenant_id].token != running.token or running.task.done():
                await self._stop(tenant_id)
        for tenant_id, credentials in wanted.items():
            if tenant_id not in self.running and self.rejected.get(tenant_id) != credentials.token:
                waiting = self.unreachable.get(tenant_id)
                now = self.clock()
                due = waiting is None or waiting.token != credentials.token or now >= waiting.retry_at
                if due and await self.claims.claim(tenant_id):  # else another process polls it
                    await self._start(credentials)

    async def _start(self, credentials: BotCredentials) -> None:
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(self.api_url))
            if self.api_url
            else AiohttpSession()
        )
        bot = Bot(credentials.token, session=session)
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            log.warning("Telegram rejected the bot token of tenant %s", credentials.tenant_id)
            self.rejected[credentials.tenant_id] = credentials.token
            await bot.session.close()
            await self._mark(credentials.tenant_id, "rejected")
            return
        except (TelegramNetworkError, OSError) as exc:
            await bot.session.close()
            self._back_off(credentials, exc)
            return
        except BaseException:  # cancelled while starting (shutdown): don't leak the HTTP session
            await bot.session.close()
            raise
        self.rejected.pop(credentials.tenant_id, None)
        self.unreachable.pop(credentials.tenant_id, None)
        await self._mark(credentials.tenant_id, "working", me.username)
        dispatcher = Dispatcher(storage=MemoryStorage())
        dispatcher.update.outer_middleware(OnePerUser())  # a lead's taps apply in the order made
        dispatcher.update.outer_middleware(UnitOfWork(self.sessions, self.clock, self.notify))
        dispatcher.include_router(build_router())
        context = BotContext(credentials.tenant_id, me.id, self.sessions)
        task = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=True,
                polling_timeout=self.polling_timeout,
                tasks_concurrency_limit=HANDLED_AT_ONCE,
                allowed_updates=ALLOWED_UPDATES,
                ctx=context,
            ),
            name=f"bot-{credentials.tenant_id}",
        )
        self.running[credentials.tenant_id] = RunningBot(credentials.token, bot, task)
        log.info("Polling @%s for tenant %s", me.username, credentials.tenant_id)

    def _back_off(self, credentials: BotCredentials, error: Exception) -> None:
        """Wait twice as long after each failed start (from the refresh interval up to five minutes)."""
        earlier = self.unreachable.get(credentials.tenant_id)
        failures = earlier.failures + 1 if earlier and earlier.token == credentials.token else 1
        delay = min(self.refresh_seconds * 2 ** (failures - 1), MAX_RETRY_SECONDS)
        retry_at = self.clock() + timedelta(seconds=delay)
        self.unreachable[credentials.tenant_id] = Unreachable(credentials.token, failures, retry_at)
        log.warning(
            "Telegram is unreachable for tenant %s (%s); try %d failed, next in %.1f s",
            credentials.tenant_id,
            error,
            failures,
            delay,
        )

    async def _stop(self, tenant_id: uuid.UUID) -> None:
        running = self.running.pop(tenant_id)
        running.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await running.task
        with contextlib.suppress(Exception):
            await running.bot.session.close()
        with contextlib.suppress(Exception):
            await self.claims.release(tenant_id)
        log.info("Stopped the bot of tenant %s", tenant_id)

    async def stop_all(self) -> None:
        for tenant_id in list(self.running):
            await self._stop(tenant_id)

    async def _mark(self, tenant_id: uuid.UUID, status: str, username: str | None = None) -> None:
        async with unit_of_work(self.sessions) as session:
            await BotTokenService(session, self.secret_key).mark(tenant_id, status, username)
