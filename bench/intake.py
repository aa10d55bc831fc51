"""Event intake on PostgreSQL: the API against a lean reference doing the same write, and pgbench.

    .venv/bin/python -m bench.intake [--leads 100000] [--seconds 15] [--connections 32] [--rounds 1]

With 100,000 leads in one tenant it measures, in one run:
- events/s, p50, p99 and non-2xx of `POST /api/tenants/{tid}/leads/{lid}/events` through the app
  (uvicorn, one process; wrk on loopback, 32 connections by default);
- the same, under the same wrk script and connections, through a lean reference
  (bench/reference_app.py: a bare ASGI app under the same uvicorn, one process, an asyncpg pool,
  the token checked in an in-process dict, the whole write in ONE prepared statement in
  autocommit); it prints the ratio app / reference (target: >= 0.5, and app p99 <= 50 ms);
- pgbench running the app's per-event SQL transaction (token lookup, locking read, event insert,
  lead update) with as many connections: a second baseline, the database alone;
- events/s through `POST /events/bulk` (10,000 events a request; target >= 50,000/s);
- p50/p99 of `GET /leads?limit=50` on that tenant.
With --rounds N the app and the reference are measured N times, alternately, each from a fresh
server start; the medians are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.db import create_engine
from app.domain.scoring import DEFAULT_RULES, LeadState
from app.domain.tokens.service import digest
from bench.common import (
    BIN,
    ROOT,
    free_port,
    fresh_database,
    machine,
    median,
    need_tool,
    percentile,
    postgres_dsn,
    seed_tenant,
    served_app,
)

WRK_SCRIPT = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local counter = 0
setup = function(thread) counter = counter + 1; thread:set("seed", counter) end
init = function(args) math.randomseed(os.time() * 1000 + seed) end
local headers = {["Authorization"] = "Bearer %(token)s", ["Content-Type"] = "application/json"}
local body = '{"type":"message","payload":{"text":"Is the 2BR still available?"}}'
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("POST", "/api/tenants/%(tenant)s/leads/" .. id .. "/events", headers, body)
end
"""


def pgbench_script(tenant_id: str, token_hash: str) -> str:
    """The statements the app runs for one event, with the same shapes and the same sizes."""
    breakdown = json.dumps(DEFAULT_RULES.score(LeadState(messages_count=3), datetime.now(UTC)).as_dict())
    columns = ", ".join(f"lead.{c}" for c in LeadState.__dataclass_fields__)
    return f"""\\set n random(1, :leads)
BEGIN;
SELECT id, tenant_id, name, prefix, token_hash, revoked_at, last_used_at, created_at, updated_at
  FROM api_token WHERE token_hash = '{token_hash}' AND revoked_at IS NULL;
SELECT id FROM bench_lead_ids WHERE n = :n \\gset
SELECT {columns}, scoring_rule_set.version, scoring_rule_set.rules
  FROM lead LEFT OUTER JOIN scoring_rule_set ON scoring_rule_set.tenant_id = lead.tenant_id
  WHERE lead.tenant_id = '{tenant_id}' AND lead.id = :id FOR UPDATE OF lead;
INSERT INTO lead_event (id, lead_id, type, occurred_at, received_at, source, payload, idempotency_key,
    score_before, score_after, temperature_after, breakdown, tenant_id, created_at, updated_at)
  VALUES (gen_random_uuid(), :id, 'message', now(), now(), 'api', '{{"text": "Is the 2BR still available?"}}',
    NULL, 21, 22, 'cold', '{breakdown}', '{tenant_id}', now(), now());
UPDATE lead SET messages_count = lead.messages_count + 1, last_interaction_at = now(),
    lead_score = 22, temperature = 'cold', score_valid_until = now() + interval '1 hour', updated_at = now()
  WHERE lead.tenant_id = '{tenant_id}' AND lead.id = :id;
COMMIT;
"""


async def lead_id_table(url: str, ids: list) -> None:
    """A numbered list of lead ids, so pgbench can pick a random lead like the HTTP clients do."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE bench_lead_ids (n integer PRIMARY KEY, id uuid NOT NULL)"))
        await conn.execute(
            sa.text("INSERT INTO bench_lead_ids (n, id) VALUES (:n, :id)"),
            [{"n": i + 1, "id": lead_id} for i, lead_id in enumerate(ids)],
        )
    await engine.dispose()


@contextlib.contextmanager
def served_reference(url: str, port: int | None = None) -> Iterator[str]:
    """bench/reference_app.py under the same uvicorn, one process, as served_app serves the app."""
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": url}
    process = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "bench.reference_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("the reference app exited while starting")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError("the reference app did not become ready")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def event_count(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.text("SELECT count(*) FROM lead_event")))
    finally:
        await engine.dispose()


def run_wrk(base: str, tenant: str, token: str, ids_file: Path, seconds: int, connections: int) -> dict:
    wrk = need_tool("wrk", "wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"ids": ids_file, "token": token, "tenant": tenant})
    args = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, base]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return {
        "rate": rate,
        "requests": requests,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
        "p50_ms": _ms(p50),
        "p99_ms": _ms(p99),
    }


def _ms(match: re.Match | None) -> float:
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_pgbench(url: str, script: str, leads: int, seconds: int, connections: int) -> float:
    pgbench = need_tool("pgbench", "postgresql-client")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        [
            pgbench,
            "-n",
            "-M",
            "prepared",
            f"-c{connections}",
            "-j2",
            f"-T{seconds}",
            "-D",
            f"leads={leads}",
            "-f",
            f.name,
            postgres_dsn(url),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))


def run_bulk(base: str, tenant: str, token: str, ids: list, batches: int, per_batch: int) -> float:
    rng = random.Random(5)
    kinds = ["qr_scan", "catalog_view", "message", "message", "voice_message"]
    bodies = [
        json.dumps(
            [
                {
                    "lead_id": str(rng.choice(ids)),
                    "type": rng.choice(kinds),
                    "idempotency_key": f"bulk-{b}-{i}",
                }
                for i in range(per_batch)
            ]
        ).encode()
        for b in range(batches)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    accepted = 0
    with httpx.Client(timeout=120) as client:
        started = time.perf_counter()
        for body in bodies:
            response = client.post(f"{base}/api/tenants/{tenant}/events/bulk", content=body, headers=headers)
            response.raise_for_status()
            accepted += response.json()["accepted"]
        elapsed = time.perf_counter() - started
    if accepted != batches * per_batch:
        raise RuntimeError(f"bulk accepted {accepted} of {batches * per_batch}")
    return accepted / elapsed


def run_list(base: str, tenant: str, token: str, requests: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    with httpx.Client(timeout=30) as client:
        for _ in range(20):  # warm up
            client.get(f"{base}/api/tenants/{tenant}/leads?limit=50", headers=headers).raise_for_status()
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(f"{base}/api/tenants/{tenant}/leads?limit=50", headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            assert len(response.json()) == 50
    return times


def measure(url: str, serve, tenant: str, token: str, ids_file: Path, seconds: int, connections: int) -> dict:
    """One server start: 3 s of warm-up, then the measured run; also counts the event rows it wrote."""
    with serve(url) as base:
        run_wrk(base, tenant, token, ids_file, 3, connections)  # warm up
        before = asyncio.run(event_count(url))
        result = run_wrk(base, tenant, token, ids_file, seconds, connections)
        result["written"] = asyncio.run(event_count(url)) - before
    return result


def _line(name: str, r: dict, connections: int) -> str:
    return (
        f"{name}: {r['rate']:.0f} events/s (p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
        f"non-2xx {r['errors']:.0f}; {r['written']:.0f} event rows for {r['requests']:.0f} responses), "
        f"{connections} connections"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="app/reference measurements, alternating")
    parser.add_argument("--bulk-batches", type=int, default=5)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with fresh_database("leadheat_bench_intake") as url:
        started = time.perf_counter()
        tenant_id, token, ids = asyncio.run(seed_tenant(url, "Bench Realty", args.leads))
        asyncio.run(lead_id_table(url, ids))
        print(f"seeded {args.leads} leads in {time.perf_counter() - started:.1f} s")
        with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as f:
            f.write("\n".join(str(i) for i in ids))
            ids_file = Path(f.name)
        tenant = str(tenant_id)

        load = (tenant, token, ids_file, args.seconds, args.connections)
        pg_rate = run_pgbench(
            url, pgbench_script(tenant, digest(token)), args.leads, args.seconds, args.connections
        )
        apis, refs = [], []
        for n in range(args.rounds):
            apis.append(measure(url, served_app, *load))
            refs.append(measure(url, served_reference, *load))
            if args.rounds > 1:
                print(f"round {n + 1}:")
                print("  " + _line("LeadHeat ", apis[-1], args.connections))
                print("  " + _line("reference", refs[-1], args.connections))
                print(f"  ratio LeadHeat / reference: {apis[-1]['rate'] / refs[-1]['rate']:.2f}")
        with served_app(url) as base:
            bulk_rate = run_bulk(base, tenant, token, ids, args.bulk_batches, 10_000)
            list_ms = run_list(base, tenant, token, 300)

    api = {k: median([r[k] for r in apis]) for k in apis[0]}
    ref = {k: median([r[k] for r in refs]) for k in refs[0]}
    ratio = api["rate"] / ref["rate"]
    p99_ok = api["p99_ms"] <= 50
    of = f" (median of {args.rounds} rounds)" if args.rounds > 1 else ""
    print(f"POST /api/tenants/{{tid}}/leads/{{lid}}/events{of}:")
    print("  " + _line("LeadHeat ", api, args.connections))
    print("  " + _line("reference", ref, args.connections) + " [bench/reference_app.py, one statement]")
    at = "" if args.connections == 32 else f"; measured at {args.connections}"
    print(
        f"  ratio LeadHeat / reference: {ratio:.2f} (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})"
    )
    print(
        f"  LeadHeat p99: {api['p99_ms']:.1f} ms (target <= 50 ms at 32 connections: "
        f"{'met' if p99_ok else 'NOT met'}{at})"
    )
    print(
        f"  pgbench, the app's per-event transaction, {args.connections} connections: {pg_rate:.0f} tx/s "
        f"(LeadHeat / pgbench {api['rate'] / pg_rate:.2f}, reference / pgbench {ref['rate'] / pg_rate:.2f})"
    )
    print(
        f"POST /events/bulk: {bulk_rate:.0f} events/s (target >= 50000: "
        f"{'met' if bulk_rate >= 50_000 else 'NOT met'})"
    )
    print(
        f"GET /leads?limit=50: p50 {median(list_ms):.1f} ms, p99 {percentile(list_ms, 99):.1f} ms "
        f"({len(list_ms)} sequential requests)"
    )


if __name__ == "__main__":
    main()
