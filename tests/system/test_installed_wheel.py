"""The built package runs on its own: installed from the wheel into a fresh virtualenv, run from
a directory outside the source tree, it migrates its database and serves (the Docker image
installs the same wheel)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from tests.system.conftest import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:  # noqa: ANN003
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the wheel installed; its dependencies come from the test
    run's own environment through a .pth line (installing them again would take minutes)."""
    base = tmp_path_factory.mktemp("installed")
    # Built from a copy of what the Dockerfile copies: no build/ leftovers of the source tree.
    source = base / "source"
    shutil.copytree(ROOT / "app", source / "app", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", base / "dist")
    wheel = next((base / "dist").glob("leadheat-*.whl"))
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel)
    site_packages = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    )
    (site_packages / "zz_test_run_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_wheel_migrates_and_serves_from_another_directory(installed: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VAR_DIR", "DATABASE_URL", "PYTHONPATH", "LITESTAR_DEBUG"}
    }
    env.update(LITESTAR_APP="app.main:create_app", BOT_POLLING="0", SECRET_KEY="wheel-test-" + "x" * 40)

    where = _run(installed, "-c", "import app; print(app.__file__)", cwd=elsewhere, env=env).stdout
    assert where.startswith(str(installed.parent.parent)), f"app imported from {where}, not the wheel"

    _run(installed, "-m", "litestar", "database", "upgrade", "--no-prompt", cwd=elsewhere, env=env)
    # An installed app keeps its state in ./var of where it runs, never inside site-packages.
    assert (elsewhere / "var" / "leadheat.db").is_file()

    port = _free_port()
    server = subprocess.Popen(
        [installed, "-m", "litestar", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, ready and ready.text
        assert ready.json()["status"] == "ready"
        css = httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=5)
        assert css.status_code == 200 and "{" in css.text
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "<form" in login.text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_image_builds_that_wheel_and_runs_unprivileged():
    """No Docker daemon here: check what the image is made of instead. It copies only files
    that exist (and .dockerignore keeps), installs the wheel, runs as a user; compose builds it."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is missing"
                assert source not in ignored, f"Dockerfile copies {source}, which .dockerignore drops"
    assert dockerfile.splitlines()[-1].startswith("CMD") and "database upgrade" in dockerfile
    assert any(line.startswith("FROM python:3.11-slim") for line in dockerfile.splitlines())
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert "pip wheel" in dockerfile and "pip install --no-cache-dir /wheels/" in dockerfile
    compose = (ROOT / "compose.yaml").read_text()
    assert "build: ." in compose and "pip install" not in compose
