"""OpenAPI and docs, body size limits, and odd input that must never become a 5xx."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.api.conftest import Api, error_of

EXPECTED_OPERATIONS = {
    ("get", "/api/tenants/{tenant_id}/leads"),
    ("post", "/api/tenants/{tenant_id}/leads"),
    ("get", "/api/tenants/{tenant_id}/leads/{lead_id}"),
    ("patch", "/api/tenants/{tenant_id}/leads/{lead_id}"),
    ("post", "/api/tenants/{tenant_id}/leads/{lead_id}/events"),
    ("post", "/api/tenants/{tenant_id}/events/bulk"),
    ("post", "/api/tenants/{tenant_id}/leads/import"),
    ("get", "/api/tenants/{tenant_id}/scoring-rules"),
    ("put", "/api/tenants/{tenant_id}/scoring-rules"),
    ("post", "/api/tenants/{tenant_id}/scoring-rules/preview"),
}


async def test_openapi_lists_every_endpoint_with_bearer_auth(api: Api):
    response = await api.client.get("/schema/openapi.json")  # no token needed
    assert response.status_code == 200
    schema = response.json()
    operations = {
        (method, path): op
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert EXPECTED_OPERATIONS <= set(operations)
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values())
    for key in EXPECTED_OPERATIONS:
        op = operations[key]
        assert op.get("security") or schema.get("security"), key
        assert op.get("summary"), key
        assert {"401", "404", "422"} <= set(op["responses"]), key

    listing = operations[("get", "/api/tenants/{tenant_id}/leads")]
    params = {p["name"] for p in listing["parameters"]}
    assert {"temperature", "q", "status", "updated_since", "limit", "cursor"} <= params
    rendered = json.dumps(schema)
    for field in ("lead_score", "temperature", "qr_scan_count", "total_interactions", "score_breakdown"):
        assert field in rendered
    imports = operations[("post", "/api/tenants/{tenant_id}/leads/import")]
    assert "multipart/form-data" in imports["requestBody"]["content"]


async def openapi_operation(api: Api, method: str, path: str) -> dict[str, Any]:
    schema = (await api.client.get("/schema/openapi.json")).json()
    return schema["paths"][f"/api/tenants/{{tenant_id}}{path}"][method]


async def test_openapi_documents_the_bulk_body(api: Api):
    bulk = await openapi_operation(api, "post", "/events/bulk")
    assert {"application/json", "application/x-ndjson"} <= set(bulk["requestBody"]["content"])


async def test_openapi_documents_the_import_file_field(api: Api):
    imports = await openapi_operation(api, "post", "/leads/import")
    form = imports["requestBody"]["content"]["multipart/form-data"]["schema"]
    if "$ref" in form:
        schema = (await api.client.get("/schema/openapi.json")).json()
        form = schema["components"]["schemas"][form["$ref"].rsplit("/", 1)[-1]]
    assert "file" in form.get("properties", {}), form
    assert form["properties"]["file"].get("format") == "binary"


async def test_interactive_docs_are_served(api: Api):
    response = await api.client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text


async def test_bodies_over_1_mib_are_413_and_write_nothing(api: Api):
    lead = await api.create_lead(name="Small")
    big = "x" * (1024 * 1024 + 1)
    error_of(await api.post("/leads", json={"name": "Big", "notes": big}), 413)
    error_of(await api.patch(f"/leads/{lead['id']}", json={"notes": big}), 413)
    error_of(
        await api.post(f"/leads/{lead['id']}/events", json={"type": "message", "payload": {"t": big}}), 413
    )
    error_of(await api.put("/scoring-rules", json={"padding": big}), 413)
    got = await api.lead(lead["id"])
    assert (got["notes"], got["messages_count"]) == ("", 0)
    assert len((await api.get("/leads")).json()) == 1


async def test_odd_input_is_refused_cleanly(api: Api):
    lead = await api.create_lead(name="Odd")
    url = f"/leads/{lead['id']}"
    checks: list[tuple[str, str, dict[str, Any], str | None]] = [
        ("POST", "/leads", {"json": {"name": "a\u0000b"}}, "name"),
        ("POST", "/leads", {"json": {"name": "x", "telegram_user_id": 2**63}}, "telegram_user_id"),
        ("POST", "/leads", {"json": {"name": "x", "budget_max": 10**30}}, "budget_max"),
        ("PATCH", url, {"json": {"external_id": "e\u0000"}}, "external_id"),
        ("POST", f"{url}/events", {"json": {"type": "message", "payload": {"t": "\u0000"}}}, "payload"),
        (
            "POST",
            f"{url}/events",
            {"json": {"type": "message", "idempotency_key": "k\u0000"}},
            "idempotency_key",
        ),
        (
            "PUT",
            "/scoring-rules",
            {"json": {"recency_tiers": [{"max_age_seconds": 10**20, "points": 1}]}},
            None,
        ),
        ("PUT", "/scoring-rules", {"json": {"qr_scan_points": 10**30}}, "qr_scan_points"),
        ("GET", "/leads?limit=99999999999999999999999", {}, "limit"),
    ]
    for method, path, kwargs, field in checks:
        response = await api.request(method, path, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.text)
        if field is not None:
            assert response.json()["field"] == field, (method, path, response.text)
    assert (await api.get("/leads", params={"q": "a\u0000b"})).status_code == 200
    got = await api.lead(lead["id"])
    assert (got["external_id"], got["messages_count"]) == (None, 0)


def cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


FIVE_XX = (
    "BUG: a date that cannot be converted to UTC (year 1 at +14:00, year 9999 at -12:00) raises "
    "OverflowError in DateTimeUTC's bind processing and becomes a 500"
)


async def test_event_at_the_edge_of_the_calendar_is_not_a_5xx(api: Api):
    lead = await api.create_lead(name="Ancient")
    response = await api.post(
        f"/leads/{lead['id']}/events", json={"type": "message", "occurred_at": "0001-01-01T00:00:00+14:00"}
    )
    assert response.status_code < 500, response.text
    assert (await api.lead(lead["id"]))["messages_count"] in (0, 1)


async def test_bulk_item_at_the_edge_of_the_calendar_rejects_only_itself(api: Api):
    lead = await api.create_lead(name="Ancient", external_id="anc")
    response = await api.post(
        "/events/bulk",
        json=[
            {"external_id": "anc", "type": "qr_scan"},
            {"external_id": "anc", "type": "message", "occurred_at": "0001-01-01T00:00:00+14:00"},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] >= 1
    assert (await api.lead(lead["id"]))["qr_scan_count"] == 1


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
async def test_updated_since_at_the_edge_of_the_calendar_is_not_a_5xx(api: Api, since: str):
    response = await api.get("/leads", params={"updated_since": since})
    assert response.status_code < 500, response.text


async def test_import_row_at_the_edge_of_the_calendar_is_a_row_error(api: Api):
    text = "name,last_interaction_at\nFirst,\nAncient,0001-01-01T00:00:00+14:00\nLast,\n"
    response = await api.post("/leads/import", files={"file": ("a.csv", text, "text/csv")})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    assert [e["line"] for e in response.json()["errors"]] == [3]


@pytest.mark.parametrize(
    "parts",
    [
        ["2026-03-02T10:00:00+00:00", 10**30, "2026-03-02T10:00:00+00:00"],
        ["0001-01-01T00:00:00+14:00", 1, "0001-01-01T00:00:00+14:00"],
    ],
)
async def test_a_forged_cursor_is_422_not_5xx(api: Api, parts: list[Any]):
    lead = await api.create_lead(name="Cursor")
    error_of(await api.get("/leads", params={"cursor": cursor(*parts, lead["id"])}), 422, "cursor")
