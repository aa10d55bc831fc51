"""Every response carries the browser-side protections; pages run only the app's own files."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import FrozenClock
from app.domain.leads.service import LeadService
from app.domain.tenants.service import NewTenant
from app.web.health import migration_heads
from tests.dashboard.conftest import log_in

TEMPLATES = __import__("pathlib").Path(__file__).resolve().parents[2] / "app" / "web" / "templates"


def assert_protected(response, *, personal: bool = True) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ") if d}
    assert directives.get("default-src") == ["'self'"], csp
    assert directives.get("script-src") == ["'self'"], csp  # no inline script, no eval
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert not any("unsafe" in v or "http" in v for values in directives.values() for v in values), csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    if personal:
        assert response.headers["cache-control"] == "no-store", response.request.url


async def test_every_page_fragment_and_error_is_protected(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    lead_id = (await LeadService(session, clock).create(tenant.tenant.id, {"name": "Ahmad"})).lead.id
    await session.commit()
    assert_protected(await browser_client.get("/login"))
    assert_protected(await browser_client.get("/no-such-page"))
    await log_in(browser_client, tenant.admin.email)
    for path in ("/", "/cards", f"/leads/{lead_id}", "/settings", "/schema", "/schema/openapi.json"):
        response = await browser_client.get(path)
        assert response.status_code == 200, path
        assert_protected(response)
    api = await browser_client.get(
        f"/api/tenants/{tenant.tenant.id}/leads", headers={"Authorization": f"Bearer {tenant.api_token}"}
    )
    assert_protected(api)
    static = await browser_client.get("/static/app.css")
    assert_protected(static, personal=False)
    assert "no-store" not in static.headers.get("cache-control", "")


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_hold_no_inline_script_style_or_handler(template: str):
    html = (TEMPLATES / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"\shx-on", html), "hx-on handlers are inline script"
    assert "<style" not in html and not re.search(r"\sstyle\s*=", html), "inline style"
    assert "javascript:" not in html


async def test_the_api_docs_load_nothing_from_another_site(browser_client: AsyncTestClient):
    docs = await browser_client.get("/schema")
    assert docs.status_code == 200 and "openapi.json" in docs.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith(("/", "data:")) for s in sources), sources
    for source in (s for s in sources if s.startswith("/static/")):
        assert (await browser_client.get(source)).status_code == 200, source
    assert "<style" not in docs.text and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs.text)


async def test_ready_does_not_tell_the_migration_revision(
    browser_client: AsyncTestClient, session: AsyncSession
):
    old = "0123456789ab"
    await session.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    await session.execute(sa.text(f"INSERT INTO alembic_version VALUES ('{old}')"))
    await session.commit()
    try:
        pending = await browser_client.get("/ready")
        assert pending.status_code == 503 and pending.json()["migrations"] == "pending"
        [head] = migration_heads()
        await session.execute(sa.text(f"UPDATE alembic_version SET version_num = '{head}'"))
        await session.commit()
        ready = await browser_client.get("/ready")
        assert ready.status_code == 200 and ready.json()["migrations"] == "current"
        for response in (pending, ready):
            assert old not in response.text and head not in response.text, response.text
    finally:
        await session.execute(sa.text("DROP TABLE alembic_version"))
        await session.commit()
