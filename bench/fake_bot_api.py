"""A lean fake Telegram Bot API server for `bench/bot.py`, run as its own process.

    .venv/bin/python -m bench.fake_bot_api --token TOKEN [--leads 1000] [--updates 6000] [--rate 200]

It prints one JSON line, {"url": ...}, once it listens on loopback, then serves one bot the way
Telegram does: getMe, getUpdates (long polling, at most `limit` (100) updates a reply, updates
below `offset` confirmed and dropped), sendMessage, sendDocument, answerCallbackQuery,
editMessageText, getFile and the file download. The benchmark drives it over HTTP:

- `GET /bench/status`: polls so far, updates made, delivered and answered;
- `POST /bench/start`: start making updates at the rate given;
- `GET /bench/results`: per update its kind, chat and timestamps, the answers that matched no
  update, and this process's own CPU seconds.

It makes the updates itself, on its own clock, so "the update became available" (appended to
the queue getUpdates serves) and "the answer arrived" (a sendMessage, sendDocument or
answerCallbackQuery for that update's chat reached this server) are read from the same
monotonic clock in the same process, and nothing it does runs in the benchmark's or the app's
process. It is kept cheap (uvloop, a bare httptools HTTP/1.1 server, each update encoded once)
so that it takes little of the CPU the app and PostgreSQL share with it.

A chat's answers are matched to its updates in order: the bot handles one lead's updates one
after another and answers each once. Updates are the same sequence as the
original benchmark: leads in turn, then at random; 80 % text messages, 20 % voice notes (seed 3).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import random
import signal
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httptools
import uvloop

TEXTS = ["Hello", "Is it available?", "I'm interested in 2BR"]
FIRST_UPDATE_ID = 1_000_000
ANSWERS = ("sendMessage", "sendDocument", "answerCallbackQuery")
OK_TRUE = b'{"ok":true,"result":true}'


@dataclass
class Made:
    """One update: what it was, and when it became available, was first delivered, was answered."""

    update_id: int
    chat_id: int
    kind: str
    due: float  # when the schedule wanted it made (monotonic)
    available: float  # when getUpdates could return it (monotonic)
    body: bytes  # its JSON, encoded once
    delivered: float | None = None
    deliveries: int = 0
    answered: float | None = None
    answer_method: str = ""


@dataclass
class Server:
    token: str
    leads: int
    updates: int
    rate: float
    seed: int
    voice_share: float
    queue: collections.deque[Made] = field(default_factory=collections.deque)
    made: list[Made] = field(default_factory=list)
    pending: dict[int, collections.deque[Made]] = field(default_factory=dict)  # chat -> unanswered
    unmatched: list[tuple[str, int | str]] = field(default_factory=list)
    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    polls: int = 0
    largest_reply: int = 0
    answered: int = 0
    started_at: float | None = None
    sent_at: float | None = None  # when the last update was made
    cpu_at_start: float = 0.0
    cpu_at_sent: float = 0.0
    new_update: asyncio.Event = field(default_factory=asyncio.Event)
    wall_minus_monotonic: float = field(default_factory=lambda: time.time() - time.monotonic())
    producer: asyncio.Task[None] | None = None
    _message_ids: int = 1

    # ---- updates ----------------------------------------------------------------------------

    async def produce(self) -> None:
        rng = random.Random(self.seed)
        users = [10_000 + i for i in range(self.leads)]
        self.cpu_at_start = time.process_time()
        start = self.started_at = time.monotonic()
        for i in range(self.updates):
            due = start + i / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            user = users[i % self.leads] if i < self.leads else rng.choice(users)
            if rng.random() < 1 - self.voice_share:
                kind, content = "text", {"text": rng.choice(TEXTS)}
            else:
                kind, content = (
                    "voice",
                    {"voice": {"file_id": f"v{i}", "file_unique_id": f"v{i}", "duration": 5}},
                )
            update_id = FIRST_UPDATE_ID + i
            self._message_ids += 1
            message = {
                "message_id": self._message_ids,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": f"Lead {user - 10_000}"},
                "from": {
                    "id": user,
                    "is_bot": False,
                    "first_name": f"Lead {user - 10_000}",
                    "language_code": "en",
                },
                **content,
            }
            body = json.dumps({"update_id": update_id, "message": message}, separators=(",", ":")).encode()
            made = Made(update_id, user, kind, due, time.monotonic(), body)
            self.made.append(made)
            self.queue.append(made)
            self.pending.setdefault(user, collections.deque()).append(made)
            self.new_update.set()
            if i % 64 == 63:
                await asyncio.sleep(0)  # never hold the loop for long while catching up
        self.sent_at = time.monotonic()
        self.cpu_at_sent = time.process_time()

    async def get_updates(self, params: dict[str, str]) -> Reply:
        self.polls += 1
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        while self.queue and self.queue[0].update_id < offset:
            self.queue.popleft()
        if not self.queue:
            self.new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new_update.wait(), min(float(params.get("timeout") or 0), 10.0))
        now = time.monotonic()
        batch = [self.queue[i] for i in range(min(limit, len(self.queue)))]
        for made in batch:
            made.deliveries += 1
            if made.delivered is None:
                made.delivered = now
        self.largest_reply = max(self.largest_reply, len(batch))
        return 200, b'{"ok":true,"result":[' + b",".join(m.body for m in batch) + b"]}"

    def answer(self, method: str, params: dict[str, str]) -> None:
        """The first answer in a chat not yet answered answers that chat's oldest update.

        The benchmark makes no button taps, so an answerCallbackQuery (which names no chat)
        answers nothing and is counted as unmatched, as is any answer beyond one per update.
        """
        now = time.monotonic()
        chat = int(params.get("chat_id") or 0)
        queue = self.pending.get(chat) if method != "answerCallbackQuery" else None
        made = queue.popleft() if queue else None
        if made is None:
            self.unmatched.append((method, chat))
            return
        made.answered = now
        made.answer_method = method
        self.answered += 1

    # ---- HTTP ---------------------------------------------------------------------------------

    def dispatch(self, path: str, params: dict[str, str]) -> Reply | Awaitable[Reply]:
        if path.startswith("/bot"):
            token, _, method = path[4:].partition("/")
            if token != self.token:
                return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
            self.calls[method] += 1
            if method == "getUpdates":
                return self.get_updates(params)
            if method in ANSWERS:
                self.answer(method, params)
            if method == "getMe":
                bot_id = int(self.token.split(":")[0])
                return _ok({"id": bot_id, "is_bot": True, "first_name": "BenchBot", "username": "BenchBot"})
            if method in ("sendMessage", "sendDocument", "editMessageText"):
                self._message_ids += 1
                sent: dict[str, Any] = {
                    "message_id": self._message_ids,
                    "date": int(time.time()),
                    "chat": {"id": int(params.get("chat_id") or 1), "type": "private"},
                    "text": params.get("text", ""),
                }
                if method == "sendDocument":
                    sent["document"] = {
                        "file_id": "doc-1",
                        "file_unique_id": "doc-1",
                        "file_name": "catalog.pdf",
                    }
                return _ok(sent)
            if method == "getFile":
                file_id = params.get("file_id", "")
                return _ok({"file_id": file_id, "file_unique_id": file_id, "file_path": "voice/file.oga"})
            return 200, OK_TRUE
        if path.startswith(f"/file/bot{self.token}/"):
            return 200, b"OggS fake voice"
        if path == "/bench/status":
            return _plain(
                {
                    "polls": self.polls,
                    "made": len(self.made),
                    "answered": self.answered,
                    "sending": self.started_at is not None and self.sent_at is None,
                }
            )
        if path == "/bench/start":
            if self.producer is None:
                self.producer = asyncio.get_running_loop().create_task(self.produce())
            return 200, OK_TRUE
        if path == "/bench/results":
            return _plain(self.results())
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'

    def results(self) -> dict[str, Any]:
        now_cpu = time.process_time()
        return {
            "wall_minus_monotonic": self.wall_minus_monotonic,
            "started_at": self.started_at,
            "sent_at": self.sent_at,
            "cpu_while_sending": self.cpu_at_sent - self.cpu_at_start,
            "cpu_since_start": now_cpu - self.cpu_at_start,
            "cpu_total": now_cpu,
            "polls": self.polls,
            "largest_reply": self.largest_reply,
            "calls": dict(self.calls),
            "unmatched": self.unmatched[:50],
            "unmatched_count": len(self.unmatched),
            # update_id, chat, kind, due, available, delivered, deliveries, answered, answered by
            "updates": [
                [
                    m.update_id,
                    m.chat_id,
                    m.kind,
                    m.due,
                    m.available,
                    m.delivered,
                    m.deliveries,
                    m.answered,
                    m.answer_method,
                ]
                for m in self.made
            ],
        }


Reply = tuple[int, bytes]
STATUS = {200: b"OK", 401: b"Unauthorized", 404: b"Not Found"}


def _ok(result: Any) -> Reply:
    return 200, json.dumps({"ok": True, "result": result}, separators=(",", ":")).encode()


def _plain(value: Any) -> Reply:
    return 200, json.dumps(value, separators=(",", ":")).encode()


def _params(query: bytes, content_type: bytes, body: bytes) -> dict[str, str]:
    """Query and form fields (aiogram posts url-encoded forms; multipart only with a file)."""
    params = dict(parse_qsl(query.decode())) if query else {}
    kind = content_type.split(b";")[0].strip().lower()
    if kind == b"application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode()))
    elif kind == b"application/json" and body:
        params.update({k: str(v) for k, v in json.loads(body).items()})
    elif kind == b"multipart/form-data":
        boundary = content_type.partition(b"boundary=")[2].strip(b'"')
        for part in body.split(b"--" + boundary):
            head, _, value = part.partition(b"\r\n\r\n")
            name = head.partition(b'name="')[2].partition(b'"')[0]
            if name and b"filename=" not in head:
                params[name.decode()] = value.removesuffix(b"\r\n").decode(errors="replace")
    return params


class Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive on httptools, one request at a time per connection: a few tens
    of microseconds a request, where aiohttp's web server costs several times that."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.content_type = b""
        self.body: list[bytes] = []
        self.waiting: asyncio.Future[Reply] | None = None
        self.backlog: list[tuple[bytes, bytes, bytes, bool]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiting is not None:
            self.waiting.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_message_begin(self) -> None:
        self.url, self.content_type, self.body = b"", b"", []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-type":
            self.content_type = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        request = (self.url, self.content_type, b"".join(self.body), self.parser.should_keep_alive())
        if self.waiting is not None or self.backlog:
            self.backlog.append(request)
        else:
            self.handle(*request)

    def handle(self, url: bytes, content_type: bytes, body: bytes, keep_alive: bool) -> None:
        parsed = httptools.parse_url(url)
        params = _params(parsed.query or b"", content_type, body)
        reply = self.server.dispatch(parsed.path.decode(), params)
        if isinstance(reply, tuple):
            self.write(reply, keep_alive)
            return
        self.waiting = asyncio.ensure_future(reply)
        self.waiting.add_done_callback(lambda done: self.finished(done, keep_alive))

    def finished(self, done: asyncio.Future[Reply], keep_alive: bool) -> None:
        self.waiting = None
        if done.cancelled() or self.transport is None:
            return
        self.write(done.result(), keep_alive)
        while self.backlog and self.waiting is None and self.transport is not None:
            self.handle(*self.backlog.pop(0))

    def write(self, reply: Reply, keep_alive: bool) -> None:
        if self.transport is None:
            return
        status, body = reply
        head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n" % (
            status,
            STATUS.get(status, b"Error"),
            len(body),
            b"" if keep_alive else b"Connection: close\r\n",
        )
        self.transport.write(head + body)
        if not keep_alive:
            self.transport.close()


async def serve(server: Server) -> None:
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(lambda: Http(server), "127.0.0.1", 0, backlog=1024)
    port = listener.sockets[0].getsockname()[1]
    print(json.dumps({"url": f"http://127.0.0.1:{port}"}), flush=True)
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    try:
        await stop
    finally:
        listener.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--token", required=True)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--voice", type=float, default=0.2, help="share of voice notes")
    args = parser.parse_args()
    uvloop.run(serve(Server(args.token, args.leads, args.updates, args.rate, args.seed, args.voice)))


if __name__ == "__main__":
    main()
