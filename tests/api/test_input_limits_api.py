"""What the server reads before it knows who is calling, and bodies shaped to hurt it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from app.domain.leads.bulk import MAX_BULK_EVENTS
from app.domain.leads.models import LeadEvent
from app.web.api.events import MAX_BULK_BODY
from tests.api.conftest import Api, error_of

DEEP_ARRAY = b"[" * 3000 + b"]" * 3000
DEEP_OBJECT = b'{"a":' * 3000 + b"1" + b"}" * 3000
JSON = {"content-type": "application/json"}


def filler(size: int, chunk: int = 64 * 1024, byte: bytes = b"x") -> Iterator[bytes]:
    while size > 0:
        yield byte * min(chunk, size)
        size -= chunk


async def raw_post(
    api: Api, path: str, headers: dict[str, str], body: Iterator[bytes], length: int | None
) -> tuple[int, int]:
    """POST `body` chunk by chunk straight to the ASGI app: (status, bytes the app read)."""
    read = {"bytes": 0}
    status = {"code": 0}
    pending = list(itertools.islice(body, 1))

    async def receive() -> dict[str, Any]:
        chunk = pending.pop() if pending else b""
        read["bytes"] += len(chunk)
        pending.extend(itertools.islice(body, 1))
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]

    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if length is not None:
        raw_headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw_headers,
        "state": {},
    }
    # On the app's own event loop (its database pool lives there), as the client's requests run.
    api.client.blocking_portal.call(api.client.app, scope, receive, send)
    return status["code"], read["bytes"]


@pytest.mark.parametrize(
    ("path", "content_type", "size"),
    [
        ("/leads/import", "multipart/form-data; boundary=xyz", 15 * 1024 * 1024),
        ("/events/bulk", "application/json", 15 * 1024 * 1024),
        ("/leads", "application/json", 900 * 1024),
    ],
)
@pytest.mark.parametrize("token", [None, "lh_not-a-real-token"])
async def test_the_token_is_checked_before_the_body_is_read(
    api: Api, path: str, content_type: str, size: int, token: str | None
):
    headers = {"content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {token}"
    status, read = await raw_post(api, api.url(path), headers, filler(size), size)
    assert status == 401
    assert read <= 64 * 1024, f"read {read} bytes of an unauthenticated body"


async def test_another_agencys_token_is_refused_before_the_body_is_read(api: Api, other: Api):
    headers = {"content-type": "application/json", "authorization": f"Bearer {other.token}"}
    size = 15 * 1024 * 1024
    status, read = await raw_post(api, api.url("/events/bulk"), headers, filler(size), size)
    assert status == 404 and read <= 64 * 1024


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT])
async def test_deeply_nested_json_without_a_token_is_401(api: Api, body: bytes):
    response = await api.client.post(api.url("/leads"), content=body, headers=JSON)
    error_of(response, 401)


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT])
async def test_deeply_nested_json_is_400_on_every_body(api: Api, body: bytes):
    lead = await api.create_lead()
    event = b'{"type": "message", "payload": ' + body + b"}"
    for method, path, content in [
        ("POST", "/leads", body),
        ("PATCH", f"/leads/{lead['id']}", body),
        ("POST", f"/leads/{lead['id']}/events", event),
        ("PUT", "/scoring-rules", body),
        ("POST", "/scoring-rules/preview", body),
    ]:
        response = await api.request(method, path, content=content, headers=JSON)
        assert "nested too deeply" in error_of(response, 400)["error"], (method, path)
    # Bulk parses its array as a stream (no recursion): a deep item rejects only itself.
    for items in (b"[" + body + b"]", b"[" + event + b"]"):
        response = await api.post("/events/bulk", content=items, headers=JSON)
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == 0 and len(response.json()["rejected"]) == 1
    # NDJSON: a line that cannot be decoded rejects only itself.
    ndjson = event + b"\n" + b'{"type": "message", "lead_id": "%s"}' % lead["id"].encode()
    response = await api.post(
        "/events/bulk", content=ndjson, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1 and [r["index"] for r in response.json()["rejected"]] == [0]
    assert (await api.lead(lead["id"]))["total_interactions"] == 1


WRONG_SHAPES = [
    ("message", {"fields": "x"}),
    ("message", {"text": 12345}),
    ("message", {"text": "x" * 5000}),
    ("message", {"text": {"nested": "object"}}),
    ("voice_message", {"file_id": "v-1", "duration": "long"}),
    ("voice_message", {"file_id": ["v-1"]}),
    ("qr_scan", {"campaign": {"a": 1}}),
    ("catalog_view", {"page": -1}),
    ("message", ["a", "list"]),
    ("message", "text"),
    ("message", {"text": "hi", "a": {"b": {"c": [1, 2]}}}),
]


@pytest.mark.parametrize(("kind", "payload"), WRONG_SHAPES)
async def test_an_event_payload_of_the_wrong_shape_is_422(api: Api, kind: str, payload: Any):
    lead = await api.create_lead()
    response = await api.post(f"/leads/{lead['id']}/events", json={"type": kind, "payload": payload})
    error_of(response, 422, "payload")
    bulk = await api.bulk([{"lead_id": lead["id"], "type": kind, "payload": payload}])
    assert bulk["accepted"] == 0 and [r["field"] for r in bulk["rejected"]] == ["payload"]
    assert (await api.lead(lead["id"]))["total_interactions"] == 0
    assert (await api.client.get(f"/leads/{lead['id']}")).status_code != 500


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("message", {"text": "Is it still available?"}),
        ("message", {"photo_file_id": "AgAC-1"}),
        ("voice_message", {"file_id": "v-1", "duration": 4}),
        ("qr_scan", {"campaign": "expo", "source": "flyer"}),
        ("catalog_view", {"catalog": "Marina towers", "page": 3}),
        ("message", {}),
    ],
)
async def test_payloads_of_the_right_shape_are_accepted(api: Api, kind: str, payload: Any):
    lead = await api.create_lead()
    await api.event(lead["id"], kind, payload=payload)
    await api.bulk([{"lead_id": lead["id"], "type": kind, "payload": payload}])
    assert (await api.lead(lead["id"]))["total_interactions"] == 2


def tiny_events(count: int, ndjson: bool) -> Iterator[bytes]:
    """`count` small events as a JSON array or NDJSON, in chunks of about 64 KiB."""
    item = b'{"external_id": "e", "type": "qr_scan"}'
    per_chunk = 64 * 1024 // (len(item) + 1)
    if not ndjson:
        yield b"["
    for start in range(0, count, per_chunk):
        n = min(per_chunk, count - start)
        separator = b"\n" if ndjson else b","
        chunk = separator.join([item] * n)
        yield (chunk + separator) if start + n < count else chunk
    if not ndjson:
        yield b"]"


@pytest.mark.parametrize("ndjson", [False, True])
async def test_bulk_stops_reading_at_the_item_cap(api: Api, ndjson: bool):
    """20 MiB of tiny events (half a million) fail at item 10,001, long before the end."""
    content_type = "application/x-ndjson" if ndjson else "application/json"
    headers = {"content-type": content_type, "authorization": f"Bearer {api.token}"}
    count = 500_000
    status, read = await raw_post(api, api.url("/events/bulk"), headers, tiny_events(count, ndjson), None)
    assert status == 422
    assert read < 2 * (MAX_BULK_EVENTS + 1) * 40, f"read {read} bytes past the cap"
    async with api.sessions() as session:  # nothing was written
        assert await session.scalar(sa.select(sa.func.count()).select_from(LeadEvent)) == 0


async def test_a_bulk_body_announced_over_the_limit_is_413_before_reading(api: Api):
    headers = {"content-type": "application/json", "authorization": f"Bearer {api.token}"}
    size = MAX_BULK_BODY + 1
    status, read = await raw_post(api, api.url("/events/bulk"), headers, filler(size), size)
    assert (status, read) == (413, 0)


async def test_a_bulk_body_streamed_past_the_limit_is_413(api: Api):
    headers = {"content-type": "application/json", "authorization": f"Bearer {api.token}"}
    body = itertools.chain([b"["], filler(MAX_BULK_BODY + 1024 * 1024, 1024 * 1024, b" "))
    status, read = await raw_post(api, api.url("/events/bulk"), headers, body, None)
    assert status == 413 and read <= MAX_BULK_BODY + 1024 * 1024


async def test_bulk_takes_exactly_the_cap(api: Api):
    await api.create_lead(external_id="e")
    for ndjson in (False, True):
        content_type = "application/x-ndjson" if ndjson else "application/json"
        body = b"".join(tiny_events(MAX_BULK_EVENTS, ndjson))
        response = await api.post("/events/bulk", content=body, headers={"content-type": content_type})
        assert response.status_code == 200, response.text[:300]
        assert response.json()["accepted"] == MAX_BULK_EVENTS
