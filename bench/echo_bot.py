"""The baseline of `bench/bot.py`: a bot that only answers, run as its own process.

    .venv/bin/python -m bench.echo_bot API_URL TOKEN

The same aiogram polling loop as the app's bots (aiohttp session, long polling, updates handled
as tasks, at most as many at once as the app allows, the same allowed updates and pinned
response types), but each message is answered at once with no database and no lead logic. Its
latency is what the harness and aiogram cost by themselves.
"""

from __future__ import annotations

import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

from app.bot.manager import ALLOWED_UPDATES, HANDLED_AT_ONCE, RESPONSE_TYPES


async def run(api_url: str, token: str) -> None:
    assert RESPONSE_TYPES  # held for the whole run, as the app does
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer("Thank you for your message!")

    await dispatcher.start_polling(
        bot,
        handle_signals=False,
        close_bot_session=True,
        polling_timeout=10,
        tasks_concurrency_limit=HANDLED_AT_ONCE,
        allowed_updates=ALLOWED_UPDATES,
    )


def main() -> None:
    import uvloop

    uvloop.run(run(sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
