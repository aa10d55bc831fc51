"""A served app (uvicorn, SQLite file) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import create_engine, unit_of_work
from app.domain.tenants.service import TenantService
from bench.common import served_app
from tests.system.conftest import litestar

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL, PASSWORD = "agent@e2e.example", "e2e-password"


@dataclass
class Site:
    base: str
    database_url: str
    tenant_id: str
    token: str


async def _prepare(url: str) -> tuple[str, str]:
    engine = create_engine(url)
    async with unit_of_work(async_sessionmaker(engine, expire_on_commit=False)) as session:
        created = await TenantService(session).create(
            name="E2E Realty", admin_email=EMAIL, admin_password=PASSWORD
        )
    await engine.dispose()
    return str(created.tenant.id), created.api_token


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    litestar(url, "database", "upgrade", "--no-prompt")
    tenant_id, token = asyncio.run(_prepare(url))
    with served_app(url, log_path=tmp_path / "server.log", extra_env={"VAR_DIR": str(tmp_path)}) as base:
        yield Site(base, url, tenant_id, token)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail(
            "Debian's chromium is needed for browser tests: apt-get install -y chromium (make test does)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


def log_in(page, site: Site) -> None:
    page.goto(f"{site.base}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".counts")
