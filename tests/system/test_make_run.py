"""`make run` as a newcomer runs it: a fresh SQLite file, a free port, /ready answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.system.conftest import ROOT, command_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=False)
def test_make_run_serves_a_migrated_seeded_app(tmp_path: Path, backend: str):
    port = free_port()
    env = command_env(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", PORT=str(port))
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert ready is not None and ready.status_code == 200, output
        assert ready.json()["migrations"] == "current"
        assert "demo@leadheat.local / leadheat-demo" in output
        assert "API token:  lh_" in output
        assert f"http://127.0.0.1:{port}/" in output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _planned(target: str, tmp_path: Path) -> str:
    """What `make TARGET` would run on a machine with no virtualenv yet (make -n runs nothing)."""
    result = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_only_what_running_needs(tmp_path: Path):
    run = _planned("run", tmp_path)
    assert "pip install --quiet -e ." in run
    assert "[dev]" not in run
    assert "[dev]" in _planned("test", tmp_path)
    assert "[dev]" in _planned("test-fast", tmp_path)
