"""Updates of one user are handled one after the other, different users in parallel.

aiogram handles each update as its own task; without this a lead's quick taps could apply
out of order. Lock acquisition is FIFO and starts in update order, so order is kept.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update


class OnePerUser(BaseMiddleware):
    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = None
        if isinstance(event, Update):
            inner = event.message or event.callback_query or event.edited_message
            user = getattr(inner, "from_user", None)
        if user is None:
            return await handler(event, data)
        lock = self._locks.get(user.id)
        if lock is None:
            lock = self._locks[user.id] = asyncio.Lock()
        async with lock:
            return await handler(event, data)
