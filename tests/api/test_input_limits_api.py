"""What the server reads before it knows who is calling, and bodies shaped to hurt it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error_of

DEEP_ARRAY = b"[" * 3000 + b"]" * 3000
DEEP_OBJECT = b'{"a":' * 3000 + b"1" + b"}" * 3000
JSON = {"content-type": "application/json"}


async def raw_post(api: Api, path: str, headers: dict[str, str], size: int) -> tuple[int, int, int]:
    """POST `size` bytes in 64 KiB chunks straight to the ASGI app; (status, bytes read, chunks)."""
    chunk = 64 * 1024
    sent = {"bytes": 0, "chunks": 0}
    status = {"code": 0}

    async def receive() -> dict[str, Any]:
        n = min(chunk, size - sent["bytes"])
        sent["bytes"] += n
        sent["chunks"] += 1
        return {"type": "http.request", "body": b"x" * n, "more_body": sent["bytes"] < size}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]

    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(size).encode()))
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
    return status["code"], sent["bytes"], sent["chunks"]


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
    status, read, _ = await raw_post(api, api.url(path), headers, size)
    assert status == 401
    assert read <= 64 * 1024, f"read {read} bytes of an unauthenticated body"


async def test_another_agencys_token_is_refused_before_the_body_is_read(api: Api, other: Api):
    headers = {"content-type": "application/json", "authorization": f"Bearer {other.token}"}
    status, read, _ = await raw_post(api, api.url("/events/bulk"), headers, 15 * 1024 * 1024)
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
        ("POST", "/events/bulk", b"[" + body + b"]"),
        ("POST", "/events/bulk", b"[" + event + b"]"),
        ("PUT", "/scoring-rules", body),
        ("POST", "/scoring-rules/preview", body),
    ]:
        response = await api.request(method, path, content=content, headers=JSON)
        assert "nested too deeply" in error_of(response, 400)["error"], (method, path)
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
