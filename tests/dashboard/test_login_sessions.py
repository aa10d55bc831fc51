"""Login sessions: ids only the server issues, rows only for logged-in agents, both lifetimes,
purging, and cookies fit for HTTPS."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.agents.sessions import WebSession
from app.domain.clock import FrozenClock
from app.domain.tenants.service import NewTenant
from app.main import create_app
from app.sweep import purge_once
from tests.conftest import TEST_SECRET_KEY
from tests.dashboard.conftest import csrf, log_in

IDLE = timedelta(minutes=Settings().session_idle_minutes)
ABSOLUTE = timedelta(hours=Settings().session_absolute_hours)


async def stored_ids(session: AsyncSession) -> list[str]:
    return list(await session.scalars(sa.select(WebSession.session_id)))


def plant(client: AsyncTestClient, session_id: str) -> None:
    client.cookies.delete("session")
    client.cookies.set("session", session_id, domain="testserver.local")


def logged_in(response) -> bool:
    return response.status_code == 200


async def test_a_planted_session_id_is_no_session_and_a_login_issues_a_fresh_one(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await csrf(browser_client)
    plant(browser_client, "1")  # as an attacker would have set it before the victim logs in
    login = await log_in(browser_client, tenant.admin.email)
    assert login.status_code == 303
    first = browser_client.cookies["session"]
    assert first != "1" and len(first) >= 40
    assert await stored_ids(session) == [first]
    plant(browser_client, "1")  # the planted id itself is nothing
    assert (await browser_client.get("/", follow_redirects=False)).status_code in (302, 303)
    plant(browser_client, first)

    # Logging in again (another account, or the same) never keeps the id the browser had.
    await log_in(browser_client, tenant.admin.email)
    second = browser_client.cookies["session"]
    assert second != first and await stored_ids(session) == [second]
    plant(browser_client, first)
    assert (await browser_client.get("/", follow_redirects=False)).status_code in (302, 303)


async def test_anonymous_visitors_store_no_session(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    for _ in range(20):  # each time a new visitor: no cookies
        browser_client.cookies.clear()
        await browser_client.get("/login")
        await browser_client.get("/", follow_redirects=False)
        plant(browser_client, "made-up")
        await browser_client.get("/cards", headers={"HX-Request": "true"})
    assert await stored_ids(session) == []
    await log_in(browser_client, tenant.admin.email, "a wrong password")
    assert await stored_ids(session) == []
    await log_in(browser_client, tenant.admin.email)
    assert len(await stored_ids(session)) == 1
    await browser_client.post("/logout", data={"_csrf_token": await csrf(browser_client)})
    assert await stored_ids(session) == []


async def test_a_session_ends_when_idle_and_in_any_case_after_its_absolute_lifetime(
    browser_client: AsyncTestClient, clock: FrozenClock, tenant: NewTenant
):
    await log_in(browser_client, tenant.admin.email)
    step = IDLE - timedelta(minutes=1)
    active_for = timedelta(0)
    while active_for + step < ABSOLUTE:  # busy all along: still logged in
        clock.now += step
        active_for += step
        assert logged_in(await browser_client.get("/", follow_redirects=False)), active_for
    clock.now += step
    assert not logged_in(await browser_client.get("/", follow_redirects=False))

    await log_in(browser_client, tenant.admin.email)
    clock.now += IDLE - timedelta(seconds=1)
    assert logged_in(await browser_client.get("/", follow_redirects=False))
    clock.now += IDLE + timedelta(seconds=1)
    assert not logged_in(await browser_client.get("/", follow_redirects=False))


async def test_ended_sessions_are_purged(
    browser_client: AsyncTestClient,
    session: AsyncSession,
    session_factory,
    clock: FrozenClock,
    tenant: NewTenant,
):
    await log_in(browser_client, tenant.admin.email)
    sessions = session_factory
    assert await purge_once(sessions, clock) == 0
    assert len(await stored_ids(session)) == 1
    clock.now += IDLE + timedelta(seconds=1)
    assert await purge_once(sessions, clock) == 1
    assert await stored_ids(session) == []


def test_cookies_are_secure_unless_the_app_is_served_over_plain_http():
    assert Settings(secure_cookies=None).cookies_secure
    assert Settings(secure_cookies=None, public_url="https://leads.example.com").cookies_secure
    assert not Settings(secure_cookies=None, public_url="http://127.0.0.1:8000").cookies_secure
    assert not Settings(secure_cookies=False, public_url="https://leads.example.com").cookies_secure


async def test_over_https_cookies_are_secure_and_browsers_are_told_to_stay(
    database_url: str, engine, clock: FrozenClock, tenant: NewTenant, tmp_path
):
    settings = Settings(
        database_url=database_url,
        sweep_interval_seconds=60,
        var_dir=tmp_path,
        bot_polling=False,
        secure_cookies=None,
        public_url="https://leads.example.com",
        secret_key=TEST_SECRET_KEY,
    )
    async with AsyncTestClient(
        create_app(settings, clock=clock), base_url="https://leads.example.com"
    ) as client:
        page = await client.get("/login")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "secure" in page.headers["set-cookie"].lower()
        login = await log_in(client, tenant.admin.email)
        [session_cookie] = [c for c in login.headers.get_list("set-cookie") if c.startswith("session=")]
        assert "secure" in session_cookie.lower() and "httponly" in session_cookie.lower()
        assert (await client.get("/")).status_code == 200


async def test_plain_http_local_runs_send_no_hsts(browser_client: AsyncTestClient):
    page = await browser_client.get("/login")
    assert "strict-transport-security" not in page.headers
    assert "secure" not in page.headers["set-cookie"].lower()
