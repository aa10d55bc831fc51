"""LOG_FORMAT=json: the served app writes one JSON object a line, and the lines of a request
carry its id (answered in X-Request-ID) and the agency and lead it is about."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.system.conftest import LITESTAR, ROOT, command_env, litestar
from tests.system.test_make_run import free_port


@pytest.mark.parametrize("backend", ["sqlite"])
def test_json_lines_with_request_tenant_and_lead_ids(tmp_path: Path, backend: str):
    url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    litestar(url, "database", "upgrade", "--no-prompt")
    created = json.loads(
        litestar(
            url,
            "leadheat",
            "create-tenant",
            "--name",
            "Palm Homes",
            "--admin-email",
            "owner@palmhomes.example",
            "--admin-password",
            "s3cret-enough-pass",
            "--json",
        ).stdout.strip().splitlines()[-1]
    )
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [LITESTAR, "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=command_env(url, LOG_FORMAT="json", BOT_POLLING="0"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            api = f"{base}/api/tenants/{created['tenant_id']}"
            auth = {"Authorization": f"Bearer {created['api_token']}"}
            lead = httpx.post(f"{api}/leads", headers=auth, json={"name": "Ahmad"}, timeout=10).json()
            event = httpx.post(
                f"{api}/leads/{lead['id']}/events",
                headers={**auth, "X-Request-ID": "crm-req-42"},
                json={"type": "message", "payload": {"text": "Hello"}},
                timeout=10,
            )
            assert event.status_code == 201, event.text
            assert event.headers["x-request-id"] == "crm-req-42"
            own_id = httpx.get(f"{base}/health", timeout=5).headers["x-request-id"]
            assert len(own_id) == 32
            time.sleep(0.5)  # the log queue is written by a thread of the server
        finally:
            server.terminate()
            server.wait(timeout=20)

    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    scored = [r for r in records if r["message"].startswith("Updated lead score: 21")]
    assert scored, lines
    [change] = [r for r in scored if r.get("request_id") == "crm-req-42"]
    assert change["tenant_id"] == created["tenant_id"]
    assert change["lead_id"] == lead["id"]
    assert change["level"] == "INFO" and change["logger"] == "leadheat.scoring"
    # The server's access line of that request carries the same id.
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert any(r.get("request_id") == "crm-req-42" for r in access), lines
