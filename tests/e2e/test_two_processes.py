"""Two app processes on one PostgreSQL database: an event sent to one updates a page served by
the other (the score change travels through LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from bench.common import served_app
from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.e2e.conftest import Site, _prepare, log_in
from tests.system.conftest import litestar


@pytest.fixture
def two_sites(postgres_url: str, tmp_path) -> Iterator[tuple[Site, Site]]:
    url = fresh_postgres_database("leadheat_e2e")
    try:
        litestar(url, "database", "upgrade", "--no-prompt")
        tenant_id, token = asyncio.run(_prepare(url))
        env = {"VAR_DIR": str(tmp_path)}
        with (
            served_app(url, log_path=tmp_path / "a.log", extra_env=env) as a,
            served_app(url, log_path=tmp_path / "b.log", extra_env=env) as b,
        ):
            yield Site(a, url, tenant_id, token), Site(b, url, tenant_id, token)
    finally:
        drop_postgres_database(url)


def test_an_event_on_one_process_updates_a_page_on_the_other(two_sites: tuple[Site, Site], browser):
    a, b = two_sites
    headers = {"Authorization": f"Bearer {b.token}"}
    lead = httpx.post(
        f"{b.base}/api/tenants/{b.tenant_id}/leads", json={"name": "Across"}, headers=headers
    ).json()

    page = browser.new_page()
    log_in(page, a)
    page.wait_for_selector(f"#lead-{lead['id']}")
    page.evaluate("window.__noReload = true")
    page.wait_for_timeout(500)  # the stream is attached

    response = httpx.post(
        f"{b.base}/api/tenants/{b.tenant_id}/leads/{lead['id']}/events",
        json={"type": "qr_scan"},
        headers=headers,
    )
    assert response.status_code == 201
    page.wait_for_function(
        f"() => document.querySelector('#lead-{lead['id']} .score').textContent.trim() === '[23]'",
        timeout=2000,
    )
    assert page.evaluate("window.__noReload") is True
