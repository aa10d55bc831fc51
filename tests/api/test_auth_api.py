"""Bearer tokens and tenant isolation: every route, every way of getting it wrong."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.tokens.service import TokenService
from tests.api.conftest import Api, error_of


def routes(lead_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every API route with a body it would accept."""
    return [
        ("GET", "/leads", {}),
        ("GET", "/leads?temperature=hot&q=a&limit=2", {}),
        ("POST", "/leads", {"json": {"name": "Intruder", "external_id": "ext-a"}}),
        ("GET", f"/leads/{lead_id}", {}),
        ("PATCH", f"/leads/{lead_id}", {"json": {"name": "Hijacked", "status": "lost"}}),
        ("POST", f"/leads/{lead_id}/events", {"json": {"type": "qr_scan", "idempotency_key": "x-1"}}),
        ("POST", "/events/bulk", {"json": [{"lead_id": lead_id, "type": "message"}]}),
        (
            "POST",
            "/leads/import",
            {"files": {"file": ("a.csv", "name,external_id\nIntruder,ext-a\n", "text/csv")}},
        ),
        ("GET", "/scoring-rules", {}),
        ("PUT", "/scoring-rules", {"json": {"phone_points": 0}}),
        ("POST", "/scoring-rules/preview", {"json": {"phone_points": 0}}),
    ]


async def call(api: Api, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]):
    return await api.client.request(method, api.url(path), headers=headers, **kwargs)


async def snapshot(api: Api) -> Any:
    return (await api.get("/leads")).json(), (await api.get("/scoring-rules")).json()


async def test_without_a_valid_token_every_route_is_401(api: Api):
    lead = await api.create_lead(name="Guarded", external_id="ext-a", phone="+971501234567")
    before = await snapshot(api)
    for headers in [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer lh_not-a-real-token"},
        {"Authorization": f"Basic {api.token}"},
        {"Authorization": api.token},
        {"Authorization": f"Bearer {api.token}x"},
    ]:
        for method, path, kwargs in routes(lead["id"]):
            response = await call(api, method, path, headers, kwargs)
            body = error_of(response, 401)
            assert "Bearer" in response.headers.get("www-authenticate", ""), (method, path)
            assert api.token not in body["error"]
    assert await snapshot(api) == before


async def test_scheme_is_case_insensitive(api: Api):
    response = await api.client.get(api.url("/leads"), headers={"Authorization": f"bearer {api.token}"})
    assert response.status_code == 200


async def test_a_revoked_token_is_401_and_others_keep_working(api: Api, session: AsyncSession):
    issued = await TokenService(session, api.clock).issue(api.tenant_id, "crm")
    await session.commit()
    crm = {"Authorization": f"Bearer {issued.token}"}
    assert (await api.client.get(api.url("/leads"), headers=crm)).status_code == 200

    await TokenService(session, api.clock).revoke(api.tenant_id, issued.id)
    await session.commit()
    lead = await api.create_lead(name="Still mine")
    for method, path, kwargs in routes(lead["id"]):
        error_of(await call(api, method, path, crm, kwargs), 401)
    assert (await api.get("/leads")).status_code == 200  # the default token still works
    assert (await api.lead(lead["id"]))["name"] == "Still mine"


async def test_another_agencys_token_gets_404_on_every_route(api: Api, other: Api):
    lead = await api.create_lead(name="Mine", external_id="ext-a", phone="+971501234567")
    await api.event(lead["id"], "message", idempotency_key="x-1")
    before = await snapshot(api)
    for method, path, kwargs in routes(lead["id"]):
        response = await call(api, method, path, other.auth, kwargs)
        error_of(response, 404)
    assert await snapshot(api) == before
    assert (await other.get("/leads")).json() == []


async def test_an_unknown_agency_is_404(api: Api):
    missing = Api(api.client, uuid.uuid4(), api.token, api.clock)
    for method, path, kwargs in routes(str(uuid.uuid4())):
        error_of(await missing.request(method, path, **kwargs), 404)


async def test_leads_of_one_agency_never_reach_another(api: Api, other: Api):
    mine = await api.create_lead(name="Shared Name", external_id="ext-a", phone="+971501234567")
    await api.event(mine["id"], "message")
    before = await api.lead(mine["id"])

    # Lists and searches of the other agency never show it.
    assert (await other.get("/leads")).json() == []
    assert (await other.get("/leads", params={"q": "Shared"})).json() == []
    assert (await other.get("/leads", params={"q": "050 123 4567"})).json() == []

    # Its id on the other agency's URLs is simply not there.
    error_of(await other.get(f"/leads/{mine['id']}"), 404)
    error_of(await other.patch(f"/leads/{mine['id']}", json={"name": "Stolen"}), 404)
    error_of(await other.post(f"/leads/{mine['id']}/events", json={"type": "qr_scan"}), 404)
    bulk = await other.bulk(
        [{"lead_id": mine["id"], "type": "qr_scan"}, {"external_id": "ext-a", "type": "catalog_view"}]
    )
    assert bulk["accepted"] == 0 and [r["index"] for r in bulk["rejected"]] == [0, 1]

    # The same external_id and phone in the other agency are a different lead.
    theirs = await other.post(
        "/leads", json={"name": "Their lead", "external_id": "ext-a", "phone": "0501234567"}
    )
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != mine["id"] and theirs.json()["tenant_id"] == str(other.tenant_id)
    imported = await other.post(
        "/leads/import", files={"file": ("a.csv", "name,external_id\nImported,ext-a\n", "text/csv")}
    )
    assert imported.json() == {"created": 0, "updated": 1, "errors": []}
    assert [x["name"] for x in (await other.get("/leads")).json()] == ["Imported"]

    # A rules change in the other agency re-scores only its own leads.
    saved = await other.put("/scoring-rules", json={"message_points": 10})
    assert saved.json()["leads_rescored"] == 0

    assert await api.lead(mine["id"]) == before
    assert [x["id"] for x in (await api.get("/leads")).json()] == [mine["id"]]
