"""The background sweep on PostgreSQL: what one pass costs on a big table.

    .venv/bin/python -m bench.sweep [--leads 1000000] [--passes 50]

Seeds one tenant with --leads leads (set-based, as bench.rescore does), lets one sweep bring
every stored score up to date, then times --passes further sweeps right after one another
(`app.sweep.sweep_once`, the code the app runs every few seconds): nearly nothing is due then,
which is the sweep's usual case. The baseline, in the same run, is one `SELECT 1` round trip
through the same engine. Target: <= 5 ms per pass when nothing is due (1M leads).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import create_engine
from app.domain.clock import system_clock
from app.sweep import sweep_once
from bench.common import fresh_database, machine, median, percentile
from bench.rescore import seed_fast


async def measure(url: str, passes: int) -> tuple[int, list[float], list[int], list[float]]:
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        first = await sweep_once(sessions, system_clock)
        times, moved, baseline = [], [], []
        for _ in range(passes):
            started = time.perf_counter()
            moved.append(await sweep_once(sessions, system_clock))
            times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            baseline.append((time.perf_counter() - started) * 1000)
        return first, times, moved, baseline
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--passes", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with fresh_database("leadheat_bench_sweep") as url:
        started = time.perf_counter()
        asyncio.run(seed_fast(url, args.leads))
        print(f"seeded {args.leads} leads in {time.perf_counter() - started:.1f} s")
        first, times, moved, baseline = asyncio.run(measure(url, args.passes))
    p50, p99 = median(times), percentile(times, 99)
    print(f"first sweep after seeding: {first} leads re-scored")
    print(f"next {args.passes} sweeps: {sum(moved)} leads re-scored in all (what fell due meanwhile)")
    print(
        f"one sweep: p50 {p50:.2f} ms, p99 {p99:.2f} ms (target <= 5 ms: {'met' if p50 <= 5 else 'NOT met'})"
    )
    base = median(baseline)
    print(f"baseline, one SELECT 1 round trip: p50 {base:.2f} ms; sweep / baseline {p50 / base:.1f}x")


if __name__ == "__main__":
    main()
