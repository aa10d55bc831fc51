"""Fetch a file a lead sent (a voice note) through the Bot API with the agency's token.

The token stays on the server: the dashboard streams the bytes, never a Telegram URL.
"""

from __future__ import annotations

import uuid

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramNotFound
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.bots.service import BotTokenService
from app.domain.errors import NotFound, UpstreamFailed

MAX_VOICE_BYTES = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB


async def download(
    session: AsyncSession, tenant_id: uuid.UUID, file_id: str, *, secret_key: str, api_url: str | None
) -> bytes:
    tokens = [c for c in await BotTokenService(session, secret_key).all_tokens() if c.tenant_id == tenant_id]
    if not tokens:
        raise NotFound("The agency's bot is not connected, so the voice note cannot be fetched.")
    http = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    bot = Bot(tokens[0].token, session=http)
    try:
        file = await bot.get_file(file_id)
        if file.file_path is None or (file.file_size or 0) > MAX_VOICE_BYTES:
            raise NotFound("Telegram no longer has this voice note.")
        data = await bot.download_file(file.file_path)
        return data.read() if data is not None else b""
    except (TelegramBadRequest, TelegramNotFound):
        raise NotFound("Telegram no longer has this voice note.") from None
    # The download itself goes through aiohttp, whose errors carry the URL with the token:
    # never let them reach the log or the agent.
    except (TimeoutError, TelegramAPIError, aiohttp.ClientError) as exc:
        raise UpstreamFailed(
            f"Telegram did not send the voice note ({type(exc).__name__}); try again in a minute."
        ) from None
    finally:
        await bot.session.close()
