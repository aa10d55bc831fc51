"""The export of 1M leads through the served app: time and the app's peak memory.

    .venv/bin/python -m bench.export [--leads 1000000]

Seeds one tenant with --leads leads (set-based, as bench.rescore does), serves the app under
uvicorn (one process, as `make run`), and downloads `GET .../leads/export` as CSV and as NDJSON
with a streaming client, counting the rows. The app's peak resident memory is the kernel's
high-water mark (VmHWM) for its process. The baseline, in the same run, is PostgreSQL's own
`COPY (SELECT <the lead columns> ... ORDER BY <the list's order>) TO STDOUT (FORMAT csv)` of the
same rows through asyncpg: the least any export of those rows can cost. Target: peak RSS <= 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import create_engine
from app.domain.leads.export import LEAD_TABLE, export_columns
from app.domain.tokens.scopes import TokenScope
from app.domain.tokens.service import TokenService
from bench.common import free_port, fresh_database, machine, postgres_dsn, served_app
from bench.rescore import seed_fast

TARGET_MB = 150


async def issue_token(url: str, tenant_id: uuid.UUID) -> str:
    engine = create_engine(url, pool_size=1)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            issued = await TokenService(session).issue(tenant_id, "bench export", TokenScope.READ)
            await session.commit()  # this script is the unit of work
        return issued.token
    finally:
        await engine.dispose()


async def copy_baseline(url: str, tenant_id: uuid.UUID) -> tuple[float, int]:
    """Seconds and bytes for COPY ... TO STDOUT of the same rows, in the list's order."""
    columns = ", ".join(c.name for c in LEAD_TABLE.columns if c.name != "sa_orm_sentinel")
    query = (
        f"SELECT {columns} FROM lead WHERE tenant_id = '{tenant_id}' "
        "ORDER BY lead_score DESC, created_at DESC, id DESC"
    )
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        size += len(chunk)

    connection = await asyncpg.connect(postgres_dsn(url))
    try:
        started = time.perf_counter()
        await connection.copy_from_query(query, output=sink, format="csv", header=True)
        return time.perf_counter() - started, size
    finally:
        await connection.close()


def app_pid(port: int) -> int:
    """The uvicorn process serving on `port` (found by its command line)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"app.main:create_app" in cmdline and str(port).encode() in cmdline:
            return int(proc.name)
    raise RuntimeError("the app's process was not found")


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def download(base: str, tenant_id: uuid.UUID, token: str, kind: str) -> tuple[float, int, int]:
    """Seconds, bytes and lines of one streamed export."""
    url = f"{base}/api/tenants/{tenant_id}/leads/export?format={kind}"
    size = lines = 0
    started = time.perf_counter()
    with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    return time.perf_counter() - started, size, lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"columns exported: {len(export_columns())}")
    with fresh_database("leadheat_bench_export") as url:
        started = time.perf_counter()
        tenant_id = asyncio.run(seed_fast(url, args.leads))
        token = asyncio.run(issue_token(url, tenant_id))
        print(f"seeded {args.leads} leads in {time.perf_counter() - started:.1f} s")
        baseline, baseline_bytes = asyncio.run(copy_baseline(url, tenant_id))
        print(
            f"baseline, COPY ... TO STDOUT (csv) via asyncpg: {baseline:.1f} s, "
            f"{baseline_bytes / 2**20:.0f} MiB"
        )
        port = free_port()
        with served_app(url, port=port) as base:
            pid = app_pid(port)
            print(f"app started: RSS {memory_mb(pid, 'VmRSS'):.0f} MB")
            # One ordinary API call first: what any first request costs is not the export's.
            leads = f"{base}/api/tenants/{tenant_id}/leads?limit=50"
            httpx.get(leads, headers={"Authorization": f"Bearer {token}"}, timeout=60).raise_for_status()
            warm = memory_mb(pid, "VmHWM")
            print(f"after one GET /leads: peak RSS {warm:.0f} MB")
            for kind in ("csv", "ndjson"):
                seconds, size, lines = download(base, tenant_id, token, kind)
                rows = lines - 1 if kind == "csv" else lines
                assert rows == args.leads, f"{kind}: {rows} rows exported, {args.leads} seeded"
                peak = memory_mb(pid, "VmHWM")
                print(
                    f"export {kind}: {rows} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s, "
                    f"{size / 2**20:.0f} MiB), {seconds / baseline:.1f}x the COPY baseline; "
                    f"app peak RSS so far {peak:.0f} MB (+{peak - warm:.0f} MB over the warm app) "
                    f"(target <= {TARGET_MB} MB: {'met' if peak <= TARGET_MB else 'NOT met'})"
                )


if __name__ == "__main__":
    main()
