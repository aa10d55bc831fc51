"""Keep bot tokens out of the log: a filter on the root handlers rewrites every line.

aiohttp and aiogram put the request URL (`.../bot<id>:<secret>/...`, `.../file/bot<token>/...`)
into their error messages, so a token can reach the log through any exception text.
"""

from __future__ import annotations

import logging
import re

# A Telegram bot token: the bot's numeric id, a colon, and a long url-safe secret.
BOT_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
REDACTED = "<bot token>"


def redact(text: str) -> str:
    return BOT_TOKEN.sub(REDACTED, text)


class RedactBotTokens(logging.Filter):
    """Rewrites the record in place (message, arguments and exception text) and lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install() -> None:
    """Add the filter to every handler of the root logger, and of loggers that do not propagate
    to it (uvicorn's), that lacks it. Idempotent: run it again once the server has set up logging."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if not any(isinstance(f, RedactBotTokens) for f in handler.filters):
                handler.addFilter(RedactBotTokens())
