"""Helpers for tests that run the real commands (`litestar ...`, `make run`) as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY, drop_postgres_database, fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
LITESTAR = str(Path(sys.executable).parent / "litestar")


def command_env(database_url: str, **extra: str) -> dict[str, str]:
    var_dir = Path(tempfile.mkdtemp(prefix="leadheat-var-"))  # never the developer's own var/
    env = {
        **os.environ,
        "LITESTAR_APP": "app.main:create_app",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var_dir),
        **extra,
    }
    if not database_url.startswith("sqlite"):  # only the embedded run makes its own key
        env.setdefault("SECRET_KEY", TEST_SECRET_KEY)
    env.pop("LITESTAR_DEBUG", None)
    return env


def litestar(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [LITESTAR, *args],
        cwd=ROOT,
        env=command_env(database_url),
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"litestar {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """An empty database with no tables at all, on either backend."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips or fails when PostgreSQL is missing
    url = fresh_postgres_database("leadheat_migrate")
    yield url
    drop_postgres_database(url)
