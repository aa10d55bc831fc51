"""Magic filters (F...) checked on the event loop.

aiogram runs every synchronous filter, bare `F` expressions included, in a worker thread
(`asyncio.to_thread`): a thread round trip per filter per update, which was the largest single
CPU cost of dispatching under load. These are attribute checks, so they run inline here.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class Inline(Filter):
    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)
