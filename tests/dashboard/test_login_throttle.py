"""Login attempts: counted in the database (every process sees them), per account with a growing
but bounded delay, per client address (X-Forwarded-For believed only from configured proxies),
and passwords checked off the event loop, a few at a time."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from litestar.testing import AsyncTestClient

from app.config import Settings
from app.domain.agents import passwords
from app.domain.agents.throttle import ACCOUNT_FIRST_DELAY, ACCOUNT_FREE_FAILURES, ACCOUNT_MAX_DELAY
from app.domain.clock import FrozenClock
from app.domain.tenants.service import NewTenant
from app.main import create_app
from app.web.known_devices import COOKIE
from tests.conftest import TEST_SECRET_KEY
from tests.dashboard.conftest import log_in


async def test_the_count_is_shared_by_app_processes(
    browser_client: AsyncTestClient, database_url: str, clock: FrozenClock, tenant: NewTenant, tmp_path
):
    settings = Settings(
        database_url=database_url,
        sweep_interval_seconds=60,
        var_dir=tmp_path,
        bot_polling=False,
        secret_key=TEST_SECRET_KEY,
    )
    async with AsyncTestClient(create_app(settings, clock=clock)) as other_process:
        for attempt in range(ACCOUNT_FREE_FAILURES):
            client = browser_client if attempt % 2 else other_process
            assert (await log_in(client, tenant.admin.email, "wrong guess")).status_code == 401
        assert (await log_in(browser_client, tenant.admin.email)).status_code == 429
        assert (await log_in(other_process, tenant.admin.email)).status_code == 429


async def test_the_account_delay_grows_but_the_owner_gets_in_when_it_ends(
    browser_client: AsyncTestClient, clock: FrozenClock, tenant: NewTenant
):
    email = tenant.admin.email
    for _ in range(ACCOUNT_FREE_FAILURES):
        await log_in(browser_client, email, "wrong guess")
    delay = ACCOUNT_FIRST_DELAY
    for _ in range(8):  # each failure after the block doubles it, up to the cap
        assert (await log_in(browser_client, email)).status_code == 429
        clock.now += delay - timedelta(seconds=1)
        assert (await log_in(browser_client, email)).status_code == 429
        clock.now += timedelta(seconds=1)
        assert (await log_in(browser_client, email, "wrong again")).status_code == 401
        delay = min(delay * 2, ACCOUNT_MAX_DELAY)
    assert delay == ACCOUNT_MAX_DELAY
    clock.now += ACCOUNT_MAX_DELAY
    assert (await log_in(browser_client, email)).status_code == 303  # never locked out for good
    await browser_client.post("/logout", data={"_csrf_token": browser_client.cookies["leadheat_csrf"]})
    # A success starts over: a few typos later the owner is not blocked.
    await log_in(browser_client, email, "typo")
    assert (await log_in(browser_client, email)).status_code == 303


async def test_a_client_cannot_spread_guesses_over_accounts_or_forged_forwarded_addresses(
    browser_client: AsyncTestClient, tenant: NewTenant, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("app.domain.agents.throttle.CLIENT_MAX_FAILURES", 3)
    for i in range(3):
        guess = await browser_client.post(
            "/login",
            data={
                "email": f"victim{i}@example.com",
                "password": "guess",
                "_csrf_token": await token(browser_client),
            },
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        assert guess.status_code == 401
    blocked = await browser_client.post(
        "/login",
        data={
            "email": tenant.admin.email,
            "password": "correct horse battery",
            "_csrf_token": await token(browser_client),
        },
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert blocked.status_code == 429


async def token(client: AsyncTestClient) -> str:
    if "leadheat_csrf" not in client.cookies:
        await client.get("/login")
    return client.cookies["leadheat_csrf"]


async def test_passwords_are_checked_off_the_event_loop_a_few_at_a_time(
    database_url: str, engine, clock: FrozenClock, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    loop_thread = threading.get_ident()
    lock = threading.Lock()
    release = threading.Event()
    loop, workers_busy = asyncio.get_running_loop(), asyncio.Event()
    state = {"running": 0, "most": 0, "threads": set()}

    def slow_verify(password_hash: str, password: str) -> bool:
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
            state["threads"].add(threading.get_ident())
            if state["running"] == passwords.PASSWORD_WORKERS:
                loop.call_soon_threadsafe(workers_busy.set)
        release.wait(30)
        with lock:
            state["running"] -= 1
        return False

    monkeypatch.setattr(passwords, "_verify", slow_verify)
    # The app on this test's own event loop (the test client would run it on another thread).
    app = create_app(
        Settings(
            database_url=database_url,
            sweep_interval_seconds=60,
            var_dir=tmp_path,
            bot_polling=False,
            secret_key=TEST_SECRET_KEY,
        ),
        clock=clock,
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client,
    ):
        await client.get("/login")
        csrf = client.cookies["leadheat_csrf"]
        logins = [
            asyncio.create_task(
                client.post(
                    "/login",
                    data={"email": f"nobody{i}@example.com", "password": "guess", "_csrf_token": csrf},
                )
            )
            for i in range(8)
        ]
        await asyncio.wait_for(workers_busy.wait(), 20)
        health = await client.get("/health")  # the loop answers while every worker is busy
        assert health.status_code == 200
        assert state["running"] == passwords.PASSWORD_WORKERS and not any(task.done() for task in logins)
        release.set()
        assert [r.status_code for r in await asyncio.gather(*logins)] == [401] * 8
    assert state["most"] == passwords.PASSWORD_WORKERS
    assert loop_thread not in state["threads"]


async def test_guessing_from_elsewhere_never_locks_the_owner_out_of_a_browser_they_used(
    browser_client: AsyncTestClient, tenant: NewTenant
):
    email = tenant.admin.email
    assert (await log_in(browser_client, email)).status_code == 303
    await browser_client.post("/logout", data={"_csrf_token": browser_client.cookies["leadheat_csrf"]})
    owners = browser_client.cookies.get(COOKIE)
    assert owners

    def use_known(value: str | None) -> None:
        browser_client.cookies.delete(COOKIE)
        if value:
            browser_client.cookies.set(COOKIE, value, domain="testserver.local", path="/login")

    use_known(None)  # a browser that never logged in here: the guesser's
    for _ in range(ACCOUNT_FREE_FAILURES):
        await log_in(browser_client, email, "wrong guess")
    assert (await log_in(browser_client, email)).status_code == 429
    use_known(owners.split(".")[0] + ".forged")
    assert (await log_in(browser_client, email)).status_code == 429
    use_known(owners)
    assert (await log_in(browser_client, email)).status_code == 303
