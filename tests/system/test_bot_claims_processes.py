"""Two app processes on one PostgreSQL database and one agency's bot: exactly one process polls
it, and when that process is killed the other takes the bot over and answers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import create_engine, unit_of_work
from app.domain.bots.service import BotTokenService
from bench.common import served_app
from tests.bot.fake_telegram import FakeTelegramThread
from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.e2e.conftest import _prepare
from tests.system.conftest import litestar

SECRET = "two-process-secret"
TOKEN = "555555555:" + "E" * 35
POLLING = "Polling @TwoProcBot"
LEAD = {"id": 7001, "is_bot": False, "first_name": "Mona", "language_code": "en"}


def _wait_for(check, within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


async def _connect_bot(url: str, tenant_id: str) -> None:
    engine = create_engine(url)
    async with unit_of_work(async_sessionmaker(engine)) as session:
        await BotTokenService(session, SECRET).set_token(uuid.UUID(tenant_id), TOKEN)
    await engine.dispose()


def _pid_serving(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True)
    return int(found.stdout.split()[0])


def test_one_process_polls_and_the_other_takes_over_when_it_is_killed(postgres_url: str, tmp_path: Path):
    url = fresh_postgres_database("leadheat_claims")
    try:
        litestar(url, "database", "upgrade", "--no-prompt")
        tenant_id, _ = asyncio.run(_prepare(url))
        asyncio.run(_connect_bot(url, tenant_id))
        with FakeTelegramThread() as telegram, contextlib.ExitStack() as stack:
            bot = telegram.add_bot(TOKEN, "TwoProcBot")
            env = {"VAR_DIR": str(tmp_path), "SECRET_KEY": SECRET, "TELEGRAM_API_URL": telegram.url,
                   "BOT_POLLING": "1"}  # fmt: skip
            logs = [tmp_path / "a.log", tmp_path / "b.log"]
            bases = [stack.enter_context(served_app(url, log_path=log, extra_env=env)) for log in logs]

            def pollers() -> list[int]:
                return [i for i, log in enumerate(logs) if POLLING in log.read_text()]

            _wait_for(lambda: len(pollers()) >= 1, 30)
            time.sleep(12)  # more than a refresh of the other process: it must not poll too
            assert len(pollers()) == 1, [log.read_text()[-2000:] for log in logs]
            (holder,) = pollers()
            other = 1 - holder

            os.killpg(_pid_serving(bases[holder]), signal.SIGKILL)  # it dies without a goodbye
            _wait_for(lambda: other in pollers(), 30)
            telegram.loop.call_soon_threadsafe(lambda: telegram.message(bot, LEAD, text="Anyone there?"))
            _wait_for(lambda: any("Thank you for your message" in t for t in bot.texts()), 20)
    finally:
        drop_postgres_database(url)
