"""The Telegram bot under load, on PostgreSQL: the real aiogram polling loop in the app process
against the fake Bot API server of the tests.

    .venv/bin/python -m bench.bot [--leads 1000] [--updates 20000] [--rate 200]

1,000 simulated leads send 20,000 updates (messages, voice notes, button taps) at a steady
rate; it reports updates/s and the p50/p99 time from an update's arrival at the Bot API
server to its event row being written (`lead_event.received_at`, stamped in the transaction
that commits the new score). Target: p99 <= 50 ms at 200 updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import datetime

import asyncpg

from app.domain.bots.service import BotTokenService
from bench.common import fresh_database, machine, median, percentile, postgres_dsn, seed_tenant, served_app
from tests.bot.fake_telegram import FakeTelegramThread

SECRET = "bench-bot-secret"
TOKEN = "444444444:" + "D" * 35


async def connect_bot(url: str, tenant_id) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.db import create_engine

    engine = create_engine(url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await BotTokenService(session, SECRET).set_token(tenant_id, TOKEN)
        await session.commit()
    await engine.dispose()


async def recorded(url: str) -> dict[int, datetime]:
    conn = await asyncpg.connect(postgres_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT idempotency_key, received_at FROM lead_event WHERE source = 'telegram'"
        )
    finally:
        await conn.close()
    return {
        int(r["idempotency_key"].rsplit(":", 1)[1]): r["received_at"] for r in rows if r["idempotency_key"]
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200.0, help="updates per second sent")
    args = parser.parse_args()
    rng = random.Random(3)
    print(f"machine: {machine()}")
    with fresh_database("leadheat_bench_bot") as url, FakeTelegramThread() as telegram:
        tenant_id, _, _ = asyncio.run(seed_tenant(url, "Bot Realty", 10))
        asyncio.run(connect_bot(url, tenant_id))
        bot = telegram.add_bot(TOKEN, "BenchBot")
        env = {"SECRET_KEY": SECRET, "TELEGRAM_API_URL": telegram.url, "BOT_POLLING": "1"}
        with served_app(url, extra_env=env):
            deadline = time.monotonic() + 60
            while telegram.polls[TOKEN] == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            users = [
                {"id": 10_000 + i, "is_bot": False, "first_name": f"Lead {i}", "language_code": "en"}
                for i in range(args.leads)
            ]
            sent: dict[int, float] = {}
            started = time.time()
            for i in range(args.updates):
                user = users[i % args.leads] if i < args.leads else rng.choice(users)
                kind = rng.random()
                push = telegram.loop.call_soon_threadsafe  # the fake server's own loop
                if kind < 0.8:
                    content = {"text": rng.choice(["Hello", "Is it available?", "I'm interested in 2BR"])}
                else:
                    content = {"voice": {"file_id": f"v{i}", "file_unique_id": f"v{i}", "duration": 5}}
                update_id = 1_000_000 + i
                at = time.time()
                push(lambda u=user, c=content, n=update_id: telegram.message(bot, u, update_id=n, **c))
                sent[update_id] = at
                pause = started + (i + 1) / args.rate - time.time()
                if pause > 0:
                    time.sleep(pause)
            sending = time.time() - started
            deadline = time.monotonic() + 120
            done: dict[int, datetime] = {}
            while time.monotonic() < deadline:
                done = asyncio.run(recorded(url))
                if len(done) >= args.updates:
                    break
                time.sleep(0.5)
        latencies = [(done[n].timestamp() - sent[n]) * 1000 for n in sent if n in done]
        last = max(done[n].timestamp() for n in done) if done else started
    throughput = len(latencies) / (last - started)
    p99 = percentile(latencies, 99)
    print(
        f"sent {args.updates} updates from {args.leads} leads at {args.updates / sending:.0f}/s; "
        f"recorded {len(latencies)}"
    )
    print(f"throughput: {throughput:.0f} updates/s")
    print(
        f"update arrival -> score committed: p50 {median(latencies):.1f} ms, p99 {p99:.1f} ms "
        f"(target <= 50 ms at 200/s: {'met' if p99 <= 50 and args.rate >= 200 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
