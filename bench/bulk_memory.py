"""Peak memory of the server under big bulk bodies (issue 10, item 12).

    .venv/bin/python -m bench.bulk_memory [--requests 6]

Serves the app (uvicorn, one process, the embedded SQLite database in a temporary directory),
then sends `--requests` bulk bodies of 20 MiB at once, twice:
- "over the cap": half a million tiny events each (the cap is 10,000): refused with 422;
- "at the cap": 10,000 events of about 2 KiB each (20 MiB): accepted.
It prints the server's resident memory before, and its peak (VmHWM) after each round.
Target: the peak stays under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from app.domain.leads.bulk import MAX_BULK_EVENTS
from app.web.api.events import MAX_BULK_BODY
from bench.common import BIN, ROOT, free_port

TARGET_MB = 300


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def over_the_cap() -> bytes:
    item = b'{"external_id": "e", "type": "qr_scan"}'
    count = MAX_BULK_BODY // (len(item) + 1) - 1
    return b"[" + b",".join([item] * count) + b"]"


def at_the_cap() -> bytes:
    text = "x" * (MAX_BULK_BODY // MAX_BULK_EVENTS - 120)
    items = [{"external_id": "e", "type": "message", "payload": {"text": text}}] * MAX_BULK_EVENTS
    return json.dumps(items).encode()


async def send_all(base: str, path: str, token: str, body: bytes, n: int) -> list[int]:
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        responses = await asyncio.gather(
            *(client.post(path, content=body, headers=headers) for _ in range(n))
        )
    return [r.status_code for r in responses]


def run(requests: int) -> None:
    var = Path(tempfile.mkdtemp(prefix="leadheat-bulk-memory-"))
    env = {**os.environ, "VAR_DIR": str(var), "BOT_POLLING": "0", "LITESTAR_APP": "app.main:create_app"}
    env.pop("DATABASE_URL", None)
    litestar = str(BIN / "litestar")
    subprocess.run(
        [litestar, "database", "upgrade", "--no-prompt"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    created = subprocess.run(
        [
            litestar,
            "leadheat",
            "create-tenant",
            "--name",
            "Bench",
            "--admin-email",
            "bench@example.com",
            "--admin-password",
            "bench-password-long",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    tenant = json.loads(created.stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "--factory",
            "app.main:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/ready").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not become ready")
            time.sleep(0.3)
        path = f"/api/tenants/{tenant['tenant_id']}/events/bulk"
        httpx.post(
            f"{base}/api/tenants/{tenant['tenant_id']}/leads",
            json={"name": "E", "external_id": "e"},
            headers={"Authorization": f"Bearer {tenant['api_token']}"},
        ).raise_for_status()
        print(f"server RSS at rest: {memory_mb(server.pid, 'VmRSS'):.0f} MB")
        for name, body in (("over the cap", over_the_cap()), ("at the cap", at_the_cap())):
            started = time.perf_counter()
            statuses = asyncio.run(send_all(base, path, tenant["api_token"], body, requests))
            peak = memory_mb(server.pid, "VmHWM")
            print(
                f"{requests} x {len(body) / 2**20:.1f} MiB {name}: statuses {sorted(set(statuses))}, "
                f"{time.perf_counter() - started:.1f} s, peak RSS so far {peak:.0f} MB"
            )
        peak = memory_mb(server.pid, "VmHWM")
        print(f"peak RSS: {peak:.0f} MB (target < {TARGET_MB} MB): {'ok' if peak < TARGET_MB else 'OVER'}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=6)
    run(parser.parse_args().requests)
