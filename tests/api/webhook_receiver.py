"""For webhook tests: a local receiver, and the real app (its worker running) allowed to reach it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from app.config import Settings
from app.domain.clock import FrozenClock
from app.main import create_app
from tests.api.conftest import Api
from tests.conftest import TEST_SECRET_KEY


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    def verified(self, secret: str) -> dict[str, Any]:
        """The message, after checking its signature as a receiver would (the spec's library)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    """A local HTTP endpoint: records what arrives; `answers` decides the status of each try."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answer: Callable[[int], int] = lambda attempt: 204
    hits: int = 0

    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        """The first `count` messages, once they arrived (TimeoutError if they don't)."""
        async with asyncio.timeout(within):
            while len(self.received) < count:
                await self.changed.wait()
                self.changed.clear()
        return self.received[:count]

    def messages(self, secret: str) -> list[dict[str, Any]]:
        return [r.verified(secret) for r in self.received]


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    """A local HTTP endpoint on a free port."""
    state = Receiver()

    async def handle(request: web.Request) -> web.Response:
        state.hits += 1
        status = state.answer(state.hits)
        if 200 <= status < 300:
            state.received.append(Received(dict(request.headers), await request.text()))
        state.changed.set()
        if 300 <= status < 400:
            return web.Response(status=status, headers={"Location": state.url + "/elsewhere"})
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", handle)
    app.router.add_post("/hook/elsewhere", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}/hook"
    yield state
    await runner.cleanup()


def app_reaching_local_receivers(database_url: str, clock: FrozenClock) -> AsyncTestClient:
    """The app with webhooks to local addresses allowed (as under `make run`)."""
    settings = Settings(
        database_url=database_url,
        sweep_interval_seconds=60,
        webhook_allow_private=True,
        bot_polling=False,
        secret_key=TEST_SECRET_KEY,
    )
    return AsyncTestClient(create_app(settings, clock=clock))


async def register(api: Api, url: str, events: list[str]) -> dict[str, Any]:
    response = await api.post("/webhooks", json={"url": url, "events": events, "description": "CRM"})
    assert response.status_code == 201, response.text
    return response.json()
