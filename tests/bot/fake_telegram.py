"""A small fake Telegram Bot API server on loopback, for several bot tokens at once.

It serves what the bots call (getMe, getUpdates with long polling, sendMessage,
sendDocument, answerCallbackQuery, editMessageText, getFile, file download), keeps a queue of
updates per token that tests push into, and records every call the bots made.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeBot:
    token: str
    username: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    new_update: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def id(self) -> int:
        return int(self.token.split(":")[0])

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def texts(self) -> list[str]:
        return [p.get("text", "") for name, p in self.calls if name in ("sendMessage", "editMessageText")]


class FakeTelegram:
    def __init__(self) -> None:
        self.bots: dict[str, FakeBot] = {}
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self.polls: dict[str, int] = defaultdict(int)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.file_status = 200  # a test sets 500 to make file downloads fail

    def add_bot(self, token: str, username: str) -> FakeBot:
        bot = self.bots[token] = FakeBot(token, username)
        return bot

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # ---- what tests send ------------------------------------------------------------------

    def push(self, bot: FakeBot, update: dict[str, Any], update_id: int | None = None) -> int:
        update_id = update_id if update_id is not None else next(self._update_ids)
        bot.updates.append({"update_id": update_id, **update})
        bot.new_update.set()
        return update_id

    def message(
        self, bot: FakeBot, user: dict[str, Any], update_id: int | None = None, **content: Any
    ) -> int:
        message = {
            "message_id": next(self._message_ids),
            "date": 1_700_000_000,
            "chat": {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")},
            "from": user,
            **content,
        }
        return self.push(bot, {"message": message}, update_id)

    def tap(self, bot: FakeBot, user: dict[str, Any], data: str) -> int:
        query = {
            "id": str(next(self._message_ids)),
            "from": user,
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": next(self._message_ids),
                "date": 1_700_000_000,
                "chat": {"id": user["id"], "type": "private"},
                "text": "question",
            },
        }
        return self.push(bot, {"callback_query": query})

    # ---- the Bot API ------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        data = await request.post()
        return {k: (json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v) for k, v in data.items()}

    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        bot = self.bots.get(token)
        if bot is None:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        if method == "getMe":
            return self._ok(
                {"id": bot.id, "is_bot": True, "first_name": bot.username, "username": bot.username}
            )
        if method == "getUpdates":
            return self._ok(await self._get_updates(bot, params))
        bot.calls.append((method, params))
        if method in ("sendMessage", "sendDocument"):
            sent: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": 1_700_000_000,
                "chat": {"id": int(params.get("chat_id", 1)), "type": "private"},
                "text": params.get("text", ""),
            }
            if method == "sendDocument":
                document = params.get("document")  # an upload arrives as "attach://<part>"
                uploaded = not isinstance(document, str) or document.startswith("attach://")
                params["uploaded"] = uploaded
                file_id = f"doc-{next(self._message_ids)}" if uploaded else document
                sent["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": "catalog.pdf"}
            return self._ok(sent)
        if method == "editMessageText":
            return self._ok(
                {
                    "message_id": int(params.get("message_id", 1)),
                    "date": 1_700_000_000,
                    "chat": {"id": int(params.get("chat_id", 1)), "type": "private"},
                    "text": params.get("text", ""),
                }
            )
        if method == "getFile":
            return self._ok(
                {"file_id": params["file_id"], "file_unique_id": "u", "file_path": "voice/file.oga"}
            )
        return self._ok(True)

    async def _get_updates(self, bot: FakeBot, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.polls[bot.token] += 1
        offset = int(params.get("offset") or 0)
        bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        if not bot.updates:
            bot.new_update.clear()
            timeout = min(float(params.get("timeout") or 0), 1.0)
            try:
                await asyncio.wait_for(bot.new_update.wait(), timeout)
            except TimeoutError:
                return []
        return [u for u in bot.updates if u["update_id"] >= offset][:100]

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.bots:
            return web.Response(status=404)
        if self.file_status != 200:
            return web.Response(status=self.file_status)
        return web.Response(body=b"OggS fake voice", content_type="audio/ogg")

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})


class FakeTelegramThread:
    """The fake server on its own event loop in a thread, for apps run by a test client's portal."""

    def __init__(self) -> None:
        self.fake = FakeTelegram()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeTelegram:
        self.fake.loop = self.loop  # push updates with loop.call_soon_threadsafe(fake.message, ...)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)
        return self.fake

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
