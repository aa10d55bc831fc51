"""A dashboard client: the real app on the test database, logged in through the real form."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.domain.clock import FrozenClock
from app.main import create_app
from tests.conftest import TEST_SECRET_KEY

PASSWORD = "correct horse battery"


@pytest.fixture
async def browser_client(
    database_url: str, engine: AsyncEngine, clock: FrozenClock, tmp_path
) -> AsyncIterator[AsyncTestClient]:
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
    async with AsyncTestClient(app) as client:
        yield client


async def csrf(client: AsyncTestClient) -> str:
    if "leadheat_csrf" not in client.cookies:
        await client.get("/login")
    return client.cookies["leadheat_csrf"]


async def log_in(client: AsyncTestClient, email: str, password: str = PASSWORD):
    token = await csrf(client)
    return await client.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token}, follow_redirects=False
    )


async def change_password(client: AsyncTestClient, current: str, new: str):
    token = await csrf(client)
    return await client.post(
        "/profile/password",
        data={"current_password": current, "new_password": new, "repeat_password": new, "_csrf_token": token},
        follow_redirects=False,
    )
