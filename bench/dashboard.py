"""The dashboard on PostgreSQL with 1,000,000 leads in 10 tenants.

    .venv/bin/python -m bench.dashboard [--tenants 10] [--leads-per-tenant 100000]

Measures, in one run, for a 100,000-lead tenant:
- the first page of Lead Management (`GET /`, the HTML an agent opens): p50/p99 server time
  as seen on loopback (target p99 <= 25 ms), next to the raw SQL query that page runs (the
  tenant's first 24 leads by score), timed with asyncpg in the same run;
- from an event's POST to the updated card arriving at an open SSE client (target p99 <= 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import threading
import time

import asyncpg
import httpx

from bench.common import fresh_database, machine, median, percentile, postgres_dsn, seed_tenant, served_app

RAW_PAGE_SQL = """
SELECT * FROM lead WHERE tenant_id = $1
ORDER BY lead_score DESC, created_at DESC, id DESC LIMIT 24
"""


async def raw_query_times(url: str, tenant_id, runs: int) -> list[float]:
    conn = await asyncpg.connect(postgres_dsn(url))
    try:
        stmt = await conn.prepare(RAW_PAGE_SQL)
        for _ in range(20):
            await stmt.fetch(tenant_id)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await stmt.fetch(tenant_id)
            times.append((time.perf_counter() - started) * 1000)
        return times
    finally:
        await conn.close()


def logged_in(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    client.get("/login")
    token = client.cookies["leadheat_csrf"]
    response = client.post("/login", data={"email": email, "password": password, "_csrf_token": token})
    response.raise_for_status()
    return client


def page_times(client: httpx.Client, runs: int) -> list[float]:
    for _ in range(20):
        client.get("/").raise_for_status()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/")
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


def sse_latencies(
    client: httpx.Client, base: str, tenant_id, token: str, lead_ids: list, samples: int
) -> list[float]:
    """POST an event, wait for that lead's card on the open stream, repeat."""
    arrived: dict[str, float] = {}
    ready = threading.Event()
    stop = threading.Event()

    def listen() -> None:
        try:
            with client.stream("GET", "/live", timeout=None) as stream:
                ready.set()
                for line in stream.iter_lines():
                    if stop.is_set():
                        return
                    match = re.match(r"event: lead-(.+)", line)
                    if match:
                        arrived.setdefault(match.group(1), time.perf_counter())
        except httpx.HTTPError:
            return  # the server stopped at the end of the run

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(10)
    time.sleep(0.5)
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    latencies = []
    for lead_id in lead_ids[:samples]:
        key = str(lead_id)
        started = time.perf_counter()
        api.post(f"/api/tenants/{tenant_id}/leads/{key}/events", json={"type": "qr_scan"}).raise_for_status()
        deadline = started + 5
        while key not in arrived and time.perf_counter() < deadline:
            time.sleep(0.0005)
        if key not in arrived:
            raise RuntimeError(f"no card update for lead {key} within 5 s")
        latencies.append((arrived[key] - started) * 1000)
    stop.set()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--leads-per-tenant", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--sse-samples", type=int, default=200)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with fresh_database("leadheat_bench_dashboard") as url:
        started = time.perf_counter()
        seeded = [
            asyncio.run(seed_tenant(url, f"Agency {i}", args.leads_per_tenant, seed=i))
            for i in range(args.tenants)
        ]
        total = args.tenants * args.leads_per_tenant
        print(f"seeded {total} leads in {args.tenants} tenants in {time.perf_counter() - started:.0f} s")
        tenant_id, token, lead_ids = seeded[0]
        raw = asyncio.run(raw_query_times(url, tenant_id, args.runs))
        with served_app(url) as base:
            client = logged_in(base, *_admin_login(url, tenant_id))
            page = page_times(client, args.runs)
            sse = sse_latencies(client, base, tenant_id, token, lead_ids, args.sse_samples)

    p99 = percentile(page, 99)
    print(
        f"first page of Lead Management ({args.leads_per_tenant} leads): p50 {median(page):.1f} ms, "
        f"p99 {p99:.1f} ms (target <= 25: {'met' if p99 <= 25 else 'NOT met'})"
    )
    print(
        f"raw SQL of that page: p50 {median(raw):.2f} ms, p99 {percentile(raw, 99):.2f} ms; "
        f"page / SQL at p50: {median(page) / median(raw):.0f}x"
    )
    sse_p99 = percentile(sse, 99)
    print(
        f"event POST -> card on an open SSE stream: p50 {median(sse):.1f} ms, p99 {sse_p99:.1f} ms "
        f"(target <= 100: {'met' if sse_p99 <= 100 else 'NOT met'})"
    )


def _admin_login(url: str, tenant_id) -> tuple[str, str]:
    async def email() -> str:
        conn = await asyncpg.connect(postgres_dsn(url))
        try:
            return await conn.fetchval(
                "SELECT email FROM agent WHERE tenant_id = $1 AND role = 'admin'", tenant_id
            )
        finally:
            await conn.close()

    return asyncio.run(email()), "benchmark-pw"


if __name__ == "__main__":
    main()
