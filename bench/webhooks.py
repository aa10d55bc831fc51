"""Webhooks on PostgreSQL: what an endpoint costs at intake, how fast deliveries go out, and
how soon a message arrives after its event.

    .venv/bin/python -m bench.webhooks [--leads 10000] [--seconds 10] [--connections 32] [--rounds 2]

In one run, against the app under uvicorn (one process) and a local receiver (aiohttp, in a
thread of this process, answering 204):
- events/s of `POST .../events` under wrk with no endpoint registered (the baseline) and with
  one endpoint subscribed to lead.score_changed, alternating `--rounds` times from fresh
  server starts; the ratio with / without (target: at most 10 % fewer events/s, ratio >= 0.90);
- deliveries/s: after the loaded run, the time until every queued message has arrived;
- latency: 200 events one after another, each timed from its 201 answer to its message's
  arrival at the receiver (p50 / p99; the issue wants "within a second").
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from aiohttp import web

from app.db import create_engine
from bench.common import fresh_database, machine, median, percentile, seed_tenant, served_app
from bench.intake import run_wrk

SERVE_ENV = {"WEBHOOK_ALLOW_PRIVATE": "1"}


class Receiver:
    """Counts messages and notes when each lead's latest one arrived; in its own thread."""

    def __init__(self) -> None:
        self.count = 0
        self.arrived: dict[str, float] = {}  # webhook-id -> arrival time
        self.by_lead_score: dict[tuple[str, int], float] = {}
        self.url = ""
        self._ready = threading.Event()

    def start(self) -> None:
        threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True).start()
        self._ready.wait(10)

    async def _serve(self) -> None:
        async def handle(request: web.Request) -> web.Response:
            body = await request.json()
            now = time.perf_counter()
            self.count += 1
            self.arrived[request.headers["webhook-id"]] = now
            data = body["data"]
            self.by_lead_score[(data["id"], data["change"]["new_score"])] = now
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/hook", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"  # type: ignore[union-attr]
        self._ready.set()
        await asyncio.Event().wait()


async def queued(url: str) -> int:
    """Messages not yet delivered: in the outbox, or in a pending delivery."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            outbox = await conn.scalar(sa.text("SELECT count(*) FROM outbox_message"))
            pending = await conn.scalar(
                sa.text("SELECT count(*) FROM webhook_delivery WHERE state = 'pending'")
            )
            return int(outbox) + int(pending)
    finally:
        await engine.dispose()


def set_endpoint(base: str, tenant: str, token: str, url: str | None) -> None:
    """Remove every endpoint; then register `url` (if given) for lead.score_changed."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{base}/api/tenants/{tenant}", headers=headers, timeout=30) as client:
        for endpoint in client.get("/webhooks").raise_for_status().json():
            client.delete(f"/webhooks/{endpoint['id']}").raise_for_status()
        if url:
            body = {"url": url, "events": ["lead.score_changed"], "description": "bench"}
            client.post("/webhooks", json=body).raise_for_status()


def intake(
    url: str, tenant: str, token: str, ids_file: Path, seconds: int, connections: int, hook: str | None
) -> dict:
    with served_app(url, extra_env=SERVE_ENV) as base:
        set_endpoint(base, tenant, token, hook)
        run_wrk(base, tenant, token, ids_file, 2, connections)  # warm up
        result = run_wrk(base, tenant, token, ids_file, seconds, connections)
        if hook:  # the loaded run's messages, drained by the worker
            started, waiting = time.perf_counter(), asyncio.run(queued(url))
            while asyncio.run(queued(url)) > 0 and time.perf_counter() - started < 300:
                time.sleep(0.2)
            result["drained"], result["drain_s"] = waiting, time.perf_counter() - started
    return result


def latency(
    url: str, tenant: str, token: str, ids: list, receiver: Receiver, hook: str, events: int
) -> list[float]:
    """Each event's 201 to its message's arrival, one event at a time, in milliseconds."""
    delays = []
    with served_app(url, extra_env=SERVE_ENV) as base:
        set_endpoint(base, tenant, token, hook)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{base}/api/tenants/{tenant}", headers=headers, timeout=30) as client:
            for n in range(events):
                lead = str(ids[-1 - n])  # leads the loaded runs are unlikely to have capped
                answer = client.post(
                    f"/leads/{lead}/events", json={"type": "voice_message"}
                ).raise_for_status()
                body, answered = answer.json(), time.perf_counter()
                if body["lead_score"] == body["score_before"]:
                    continue  # no score change, no message
                key = (lead, body["lead_score"])
                deadline = answered + 10
                while key not in receiver.by_lead_score and time.perf_counter() < deadline:
                    time.sleep(0.002)
                delays.append((receiver.by_lead_score.get(key, deadline) - answered) * 1000)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--latency-events", type=int, default=200)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    receiver = Receiver()
    receiver.start()
    with fresh_database("leadheat_bench_webhooks") as url:
        tenant_id, token, ids = asyncio.run(seed_tenant(url, "Bench Realty", args.leads))
        tenant = str(tenant_id)
        with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as f:
            f.write("\n".join(str(i) for i in ids[: len(ids) // 2]))
            ids_file = Path(f.name)
        load = (url, tenant, token, ids_file, args.seconds, args.connections)
        without, with_hook = [], []
        for n in range(args.rounds):
            without.append(intake(*load, None))
            with_hook.append(intake(*load, receiver.url))
            print(
                f"round {n + 1}: no endpoint {without[-1]['rate']:.0f} events/s, "
                f"one endpoint {with_hook[-1]['rate']:.0f} events/s; "
                f"{with_hook[-1]['drained']} queued messages drained in {with_hook[-1]['drain_s']:.1f} s"
            )
        delays = latency(url, tenant, token, ids, receiver, receiver.url, args.latency_events)

    base_rate = median([r["rate"] for r in without])
    hook_rate = median([r["rate"] for r in with_hook])
    ratio = hook_rate / base_rate
    print(f"POST .../events, {args.connections} connections, median of {args.rounds} rounds:")
    print(f"  no endpoint:  {base_rate:.0f} events/s (p99 {median([r['p99_ms'] for r in without]):.1f} ms)")
    print(f"  one endpoint: {hook_rate:.0f} events/s (p99 {median([r['p99_ms'] for r in with_hook]):.1f} ms)")
    print(
        f"  ratio one endpoint / none: {ratio:.2f} (target >= 0.90: {'met' if ratio >= 0.9 else 'NOT met'})"
    )
    drained = sum(r["drained"] for r in with_hook)
    drain_s = sum(r["drain_s"] for r in with_hook)
    rate = drained / drain_s
    print(f"deliveries after the loaded runs: {drained} in {drain_s:.1f} s = {rate:.0f} deliveries/s")
    print(f"receiver got {receiver.count} messages in all")
    p99 = percentile(delays, 99)
    verdict = "met" if p99 <= 1000 else "NOT met"
    print(
        f"event answered -> message arrived, {len(delays)} events one at a time: "
        f"p50 {median(delays):.0f} ms, p99 {p99:.0f} ms (target within 1 s: {verdict})"
    )


if __name__ == "__main__":
    main()
