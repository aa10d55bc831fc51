"""SECRET_KEY: a deployment brings its own; the embedded run's key and database stay private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from litestar.testing import AsyncTestClient

from app.config import InsecureSettings, Settings
from app.main import create_app

POSTGRES = "postgresql+asyncpg://leadheat@127.0.0.1:5432/nowhere"

ROOT = Path(__file__).resolve().parents[2]  # the checkout: compose.yaml lives there


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_postgresql_without_a_secret_key_refuses_to_start(tmp_path: Path):
    settings = Settings(database_url=POSTGRES, var_dir=tmp_path)
    with pytest.raises(InsecureSettings, match="SECRET_KEY is required with PostgreSQL"):
        create_app(settings)
    assert not (tmp_path / "secret.key").exists()  # no key file stands in for a deployment's key


@pytest.mark.parametrize("database_url", [POSTGRES, ""])
@pytest.mark.parametrize("known", ["change-me-in-production", "CHANGE-ME", "secret"])
def test_a_published_example_key_refuses_to_start(tmp_path: Path, database_url: str, known: str):
    settings = Settings(database_url=database_url, var_dir=tmp_path, secret_key=known)
    with pytest.raises(InsecureSettings, match="published example value"):
        settings.resolved_secret_key()


def test_the_embedded_runs_key_file_is_owner_only_from_its_first_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # With a permissive umask and chmod doing nothing, only a file created 0600 ends up 0600.
    monkeypatch.setattr(Path, "chmod", lambda *_args, **_kwargs: None)
    old_umask = os.umask(0)
    try:
        key = Settings(var_dir=tmp_path / "var").resolved_secret_key()
    finally:
        os.umask(old_umask)
    path = tmp_path / "var" / "secret.key"
    assert mode(path) == 0o600
    assert len(key) >= 40
    assert Settings(var_dir=tmp_path / "var").resolved_secret_key() == key  # kept across runs
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no draft left behind


async def test_the_embedded_database_file_is_owner_only(tmp_path: Path):
    database = tmp_path / "var" / "leadheat.db"
    app = create_app(Settings(var_dir=tmp_path / "var", bot_polling=False, sweep_interval_seconds=60))
    async with AsyncTestClient(app) as client:
        await client.get("/ready")
    assert database.exists() and mode(database) == 0o600


def test_an_older_installs_database_file_is_made_owner_only(tmp_path: Path):
    database = tmp_path / "leadheat.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    create_app(Settings(var_dir=tmp_path, bot_polling=False))
    assert mode(database) == 0o600


def test_compose_ships_no_key_no_password_and_no_demo_admin():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    text = yaml.safe_dump(compose)
    environments = [service.get("environment", {}) for service in compose["services"].values()]
    for environment in environments:
        for name, value in environment.items():
            if "SECRET" in name or "PASSWORD" in name:
                assert str(value).startswith("${") and ":?" in str(value), (name, value)
    app_environment = compose["services"]["app"]["environment"]
    assert app_environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "leadheat:leadheat@" not in text
    assert "leadheat demo" not in text and "change-me" not in text
