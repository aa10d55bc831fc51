"""Data out and data gone: the streamed export (CSV, NDJSON) and erasing a person."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.leads.export import export_columns
from app.domain.leads.models import Lead, LeadErasure, LeadEvent
from tests.api.conftest import Api, error_of


def rows_of_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def rows_of_ndjson(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line]


async def test_csv_has_every_lead_column_live_scores_and_escapes_formulas(api: Api):
    hot = await api.create_lead(name='=HYPERLINK("http://x")', phone="+971501234567", budget_min=1)
    for _ in range(3):
        await api.event(hot["id"], "message")
    await api.create_lead(name="@SUM(A1)", notes="-2+3", external_id="ext-1")

    response = await api.get("/leads/export?format=csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = rows_of_csv(response.text)
    assert list(rows[0]) == export_columns()
    # Every column of the table, so one added later is exported too.
    assert {c.name for c in Lead.__table__.columns} - {"sa_orm_sentinel"} <= set(rows[0])
    first, second = rows
    listed = (await api.get("/leads")).json()
    assert [first["id"], second["id"]] == [lead["id"] for lead in listed]  # the list's order
    assert first["name"] == '\'=HYPERLINK("http://x")'
    assert first["phone"] == "'+971501234567"
    assert second["name"] == "'@SUM(A1)" and second["notes"] == "'-2+3"
    assert (
        int(first["lead_score"]) == listed[0]["lead_score"]
        and first["temperature"] == listed[0]["temperature"]
    )
    assert first["messages_count"] == "3" and first["total_interactions"] == "3"
    assert first["tenant_id"] == str(api.tenant_id)


async def test_ndjson_keeps_values_as_they_are_and_scores_live(api: Api):
    lead = await api.create_lead(name="=plain", phone="+971501234567")
    await api.event(lead["id"], "qr_scan")
    [fresh] = rows_of_ndjson((await api.get("/leads/export?format=ndjson")).text)
    scored = await api.lead(lead["id"])
    assert fresh["score_valid_until"] == scored["score_valid_until"] is not None
    assert fresh["lead_score"] == scored["lead_score"]
    api.clock.now += timedelta(days=30)  # recency points are gone by now, though no sweep ran
    live = await api.lead(lead["id"])

    response = await api.get("/leads/export?format=ndjson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    [row] = rows_of_ndjson(response.text)
    assert row["name"] == "=plain"  # data, not a spreadsheet: nothing to escape
    assert (row["lead_score"], row["temperature"]) == (live["lead_score"], live["temperature"])
    assert row["qr_scan_count"] == 1 and row["total_interactions"] == 1
    assert set(row) == set(export_columns())


async def test_the_export_takes_the_lists_filters(api: Api):
    await api.create_lead(name="Amira Haddad")
    await api.create_lead(name="Boris", status="lost")
    await api.create_lead(name="Chen")
    names = lambda r: sorted(row["name"] for row in rows_of_csv(r.text))  # noqa: E731
    assert names(await api.get("/leads/export?q=amira")) == ["Amira Haddad"]
    assert names(await api.get("/leads/export?status=lost")) == ["Boris"]
    assert names(await api.get("/leads/export?temperature=cold")) == ["Amira Haddad", "Boris", "Chen"]
    assert names(await api.get("/leads/export?temperature=burning")) == []
    error_of(await api.get("/leads/export?format=xlsx"), 422, "format")
    error_of(await api.get("/leads/export?temperature=tepid"), 422, "temperature")


async def test_an_empty_agency_exports_a_header_only(api: Api):
    response = await api.get("/leads/export")
    assert response.text.strip() == ",".join(export_columns())
    assert (await api.get("/leads/export?format=ndjson")).text == ""


async def test_another_agency_cannot_export_or_erase_or_see(api: Api, other: Api):
    mine = await api.create_lead(name="Mine")
    theirs = await other.create_lead(name="Theirs")
    assert [r["name"] for r in rows_of_csv((await other.get("/leads/export")).text)] == ["Theirs"]
    # With our token on their URL, or their token on ours: nothing.
    error_of(await api.client.get(other.url("/leads/export"), headers=api.auth), 404)
    error_of(await api.client.delete(other.url(f"/leads/{theirs['id']}"), headers=api.auth), 404)
    error_of(await other.request("DELETE", f"/leads/{mine['id']}"), 404)
    assert (await api.lead(mine["id"]))["name"] == "Mine"
    assert (await other.lead(theirs["id"]))["name"] == "Theirs"


async def test_erasing_a_lead_removes_it_and_its_events_and_keeps_one_audit_line(
    api: Api, session: AsyncSession
):
    gone = await api.create_lead(name="Forget Me", phone="+971501234567", external_id="crm-9")
    kept = await api.create_lead(name="Keep Me")
    await api.event(gone["id"], "message", payload={"text": "my address is ..."})
    await api.event(gone["id"], "voice_message", payload={"file_id": "voice-1"})
    await api.event(kept["id"], "message")

    response = await api.request("DELETE", f"/leads/{gone['id']}")
    assert response.status_code == 204, response.text
    error_of(await api.get(f"/leads/{gone['id']}"), 404)
    error_of(await api.request("DELETE", f"/leads/{gone['id']}"), 404)

    events = (await session.execute(sa.select(LeadEvent.lead_id))).scalars().all()
    assert set(events) == {uuid.UUID(kept["id"])}
    [audit] = (await session.scalars(sa.select(LeadErasure))).all()
    assert str(audit.lead_id) == gone["id"] and audit.tenant_id == api.tenant_id
    assert "api token" in audit.erased_by and audit.erased_at == api.clock.now
    assert [r["name"] for r in rows_of_csv((await api.get("/leads/export")).text)] == ["Keep Me"]
    # The external id is free again: the person can come back as a new lead.
    assert (await api.create_lead(name="Back", external_id="crm-9"))["id"] != gone["id"]
