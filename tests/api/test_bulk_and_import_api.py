"""Bulk event intake (JSON array / NDJSON) and CSV import of leads."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from app.domain.leads.payloads import MAX_TEXT
from tests.api.conftest import Api, error_of
from tests.conftest import T0

MISSING = "01a20e01-0000-7000-8000-000000000000"


def ndjson(items: list[Any]) -> bytes:
    return b"\n".join(json.dumps(item).encode() for item in items) + b"\n"


async def counters(api: Api, lead_id: str) -> tuple[int, int, int, int]:
    got = await api.lead(lead_id)
    return got["qr_scan_count"], got["catalog_views"], got["messages_count"], got["voice_messages_count"]


async def test_bulk_applies_the_good_items_and_reports_the_bad_ones(api: Api):
    a = await api.create_lead(name="A", external_id="ext-a")
    b = await api.create_lead(name="B", external_id="ext-b", phone="+971501234567")
    await api.event(a["id"], "message", idempotency_key="old-key")
    items: list[Any] = [
        {"lead_id": a["id"], "type": "message", "idempotency_key": "k1"},  # 0 ok
        {"external_id": "ext-b", "type": "qr_scan"},  # 1 ok
        {"lead_id": MISSING, "type": "message"},  # 2 unknown lead
        {"external_id": "nope", "type": "message"},  # 3 unknown lead
        {"lead_id": a["id"], "type": "telepathy"},  # 4 bad type
        {"lead_id": a["id"], "type": "message", "occurred_at": "2026-03-02T09:00:00"},  # 5 no offset
        {"lead_id": a["id"], "type": "message", "occurred_at": (T0 + timedelta(days=1)).isoformat()},  # 6
        {"lead_id": a["id"], "type": "message", "occurred_at": "last tuesday"},  # 7
        {"lead_id": a["id"], "type": "message", "idempotency_key": "k1"},  # 8 duplicate within the batch
        {"lead_id": a["id"], "type": "message", "idempotency_key": "old-key"},  # 9 duplicate of earlier
        42,  # 10 not an object
        {"type": "message"},  # 11 no lead named
        {"lead_id": "not-a-uuid", "type": "message"},  # 12
        {"lead_id": a["id"], "type": "voice_message", "colour": "red"},  # 13 unknown field
        {"lead_id": b["id"], "type": "catalog_view", "occurred_at": "2026-03-02T12:30:00+04:00"},  # 14 ok
        {"lead_id": a["id"], "type": "button"},  # 15 not an API type
        {"lead_id": a["id"], "type": "message", "payload": [1]},  # 16
        {"lead_id": a["id"], "type": "message", "idempotency_key": ""},  # 17
    ]
    result = await api.bulk(items)
    assert (result["accepted"], result["duplicates"]) == (3, 2)
    rejected = {r["index"]: r for r in result["rejected"]}
    assert sorted(rejected) == [2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 15, 16, 17]
    assert [r["index"] for r in result["rejected"]] == sorted(rejected)  # in order
    assert {i: rejected[i]["field"] for i in rejected if i != 10} == {
        2: "lead_id",
        3: "external_id",
        4: "type",
        5: "occurred_at",
        6: "occurred_at",
        7: "occurred_at",
        11: "lead_id",
        12: "lead_id",
        13: "colour",
        15: "type",
        16: "payload",
        17: "idempotency_key",
    }
    assert all(r["error"] for r in result["rejected"])

    assert await counters(api, a["id"]) == (0, 0, 2, 0)
    got_b = await api.lead(b["id"])
    assert (got_b["qr_scan_count"], got_b["catalog_views"], got_b["messages_count"]) == (1, 1, 0)
    assert got_b["last_interaction_at"] == "2026-03-02T10:00:00Z"  # the 08:30Z view was older
    assert got_b["lead_score"] == 3 + 2 + 10 + 20

    # The same batch again: every keyed item is a duplicate now; unkeyed good items count again.
    again = await api.bulk(items)
    assert (again["accepted"], again["duplicates"]) == (2, 3)
    assert await counters(api, a["id"]) == (0, 0, 2, 0)


async def test_bulk_with_an_offset_stores_the_same_instant(api: Api):
    lead = await api.create_lead(name="Dubai", external_id="dxb")
    result = await api.bulk(
        [{"external_id": "dxb", "type": "message", "occurred_at": "2026-03-02T12:30:00+04:00"}]
    )
    assert result["accepted"] == 1
    got = await api.lead(lead["id"])
    assert got["last_interaction_at"] == "2026-03-02T08:30:00Z"
    assert got["lead_score"] == 1 + 15


async def test_ndjson_with_a_bad_line_rejects_only_that_line(api: Api):
    lead = await api.create_lead(name="Stream", external_id="s-1")
    body = (
        json.dumps({"external_id": "s-1", "type": "qr_scan", "idempotency_key": "n1"}).encode()
        + b"\n{this is not json\n"
        + json.dumps({"lead_id": lead["id"], "type": "message", "idempotency_key": "n2"}).encode()
        + b"\n[1, 2]\n"
        + json.dumps({"lead_id": lead["id"], "type": "message", "idempotency_key": "n1"}).encode()
        + b"\n"
    )
    response = await api.post("/events/bulk", content=body, headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["duplicates"]) == (2, 1)
    assert [r["index"] for r in result["rejected"]] == [1, 3]
    assert await counters(api, lead["id"]) == (1, 0, 1, 0)


async def test_bulk_refuses_more_than_10000_items_and_records_nothing(api: Api):
    lead = await api.create_lead(name="Flood")
    item = {"lead_id": lead["id"], "type": "message"}
    error_of(await api.post("/events/bulk", json=[item] * 10_001), 422, "events")
    error_of(
        await api.post(
            "/events/bulk", content=ndjson([item] * 10_001), headers={"content-type": "application/x-ndjson"}
        ),
        422,
        "events",
    )
    assert await counters(api, lead["id"]) == (0, 0, 0, 0)


async def test_bulk_takes_10000_items(api: Api):
    lead = await api.create_lead(name="Big import", external_id="big")
    items = [
        {"external_id": "big", "type": "message", "occurred_at": (T0 - timedelta(seconds=i)).isoformat()}
        for i in range(10_000)
    ]
    started = time.perf_counter()
    result = await api.bulk(items)
    assert result == {"accepted": 10_000, "duplicates": 0, "rejected": []}
    assert time.perf_counter() - started < 20
    got = await api.lead(lead["id"])
    assert (got["messages_count"], got["lead_score"], got["last_interaction_at"]) == (
        10_000,
        30,
        "2026-03-02T10:00:00Z",
    )


async def test_bulk_bodies_that_are_not_events(api: Api):
    error_of(
        await api.post("/events/bulk", content=b"", headers={"content-type": "application/json"}),
        422,
        "events",
    )
    error_of(
        await api.post("/events/bulk", content=b"[{", headers={"content-type": "application/json"}),
        422,
        "events",
    )
    response = await api.post("/events/bulk", json=[])
    assert response.status_code == 200 and response.json() == {"accepted": 0, "duplicates": 0, "rejected": []}


async def test_bulk_body_limit_is_20_mib(api: Api):
    lead = await api.create_lead(name="Heavy")
    padding = "x" * MAX_TEXT
    items = [{"lead_id": lead["id"], "type": "message", "payload": {"text": padding}} for _ in range(400)]
    body = json.dumps(items).encode()
    assert len(body) > 1024 * 1024  # over the 1 MiB of other routes: fine for bulk
    response = await api.post("/events/bulk", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text[:200]
    assert response.json()["accepted"] == 400, response.json()["rejected"][:1]
    huge = b"[" + b" " * (21 * 1024 * 1024) + b"]"
    error_of(await api.post("/events/bulk", content=huge, headers={"content-type": "application/json"}), 413)
    assert await counters(api, lead["id"]) == (0, 0, 400, 0)


def csv_file(text: str | bytes) -> dict[str, Any]:
    return {"file": ("leads.csv", text, "text/csv")}


async def test_import_creates_updates_and_reports_bad_rows_by_line(api: Api):
    existing = await api.create_lead(name="Existing", external_id="crm-1")
    await api.event(existing["id"], "qr_scan")
    await api.event(existing["id"], "qr_scan")
    await api.event(existing["id"], "qr_scan")
    text = (
        "name,phone,external_id,budget_min,budget_max,property_type,qr_scan_count,messages_count,last_interaction_at\n"
        "Nadia,050 765 4321,crm-2,,2000000,villa,2,5,\n"  # 2 ok
        "Bad Phone,12,crm-3,,,,,,\n"  # 3
        "Existing Renamed,,crm-1,,900000,apartment,1,4,\n"  # 4 update: counters only go up
        "Castle,,crm-4,,,castle,,,\n"  # 5
        "Many,,crm-5,,,,many,,\n"  # 6
        "Naive,,crm-6,,,,,,2026-03-02T09:00:00\n"  # 7
        "Too,many,cells,,,,,,,,,\n"  # 8
        "Recent,,crm-7,,,,,1,2026-03-02T12:00:00+04:00\n"  # 9 ok: 2 h ago
        "Upside down,,crm-8,500,100,,,,\n"  # 10
    )
    response = await api.post("/leads/import", files=csv_file(text))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["updated"]) == (2, 1)
    errors = {e["line"]: e for e in result["errors"]}
    assert sorted(errors) == [3, 5, 6, 7, 8, 10]
    assert {line: errors[line]["field"] for line in (3, 5, 6, 7, 10)} == {
        3: "phone",
        5: "property_type",
        6: "qr_scan_count",
        7: "last_interaction_at",
        10: "budget_min",
    }

    listed = {lead["external_id"]: lead for lead in (await api.get("/leads")).json()}
    assert sorted(listed) == ["crm-1", "crm-2", "crm-7"]  # bad rows left nothing behind
    nadia = listed["crm-2"]
    assert (nadia["phone"], nadia["lead_score"], nadia["temperature"]) == ("+971507654321", 36, "warm")
    assert nadia["source"] == "import" and nadia["last_interaction_at"] is None
    updated = listed["crm-1"]
    assert updated["id"] == existing["id"] and updated["name"] == "Existing Renamed"
    assert (updated["qr_scan_count"], updated["messages_count"]) == (3, 4)  # 3 kept, 0 raised to 4
    assert updated["last_interaction_at"] == "2026-03-02T10:00:00Z"
    assert updated["lead_score"] == 9 + 4 + 10 + 5 + 20
    recent = listed["crm-7"]
    assert (recent["last_interaction_at"], recent["lead_score"]) == ("2026-03-02T08:00:00Z", 1 + 15)


async def test_import_matches_by_phone_and_reads_excel_csv(api: Api):
    lead = await api.create_lead(name="Phone only", phone="+971501234567")
    text = "\ufeffname,phone,location\r\nPhone Only,050 123 4567,Marina\r\nBad,0,\r\nNew,,JLT\r\n"
    response = await api.post("/leads/import", files=csv_file(text.encode("utf-8")))
    result = response.json()
    assert (result["created"], result["updated"]) == (1, 1), result
    assert [e["line"] for e in result["errors"]] == [3]
    got = await api.lead(lead["id"])
    assert (got["name"], got["location"], got["lead_score"]) == ("Phone Only", "Marina", 15)


async def test_import_refuses_files_it_cannot_read(api: Api):
    error_of(await api.post("/leads/import", files=csv_file("name,shoe_size\nA,42\n")), 422, "shoe_size")
    error_of(await api.post("/leads/import", files=csv_file("name\nA\n".encode("utf-16"))), 422, "file")
    error_of(await api.post("/leads/import", files=csv_file(b"")), 422, "file")
    error_of(
        await api.post("/leads/import", files={"upload": ("a.csv", "name\nA\n", "text/csv")}), 422, "file"
    )
    response = await api.post("/leads/import", content=b"name\nA\n", headers={"content-type": "text/csv"})
    assert 400 <= response.status_code < 500 and "error" in response.json()
    assert (await api.get("/leads")).json() == []


async def test_import_body_limit_is_20_mib(api: Api):
    # Blank lines are skipped: a 2 MiB file with one row goes in.
    big = "name\nBig file\n" + "\n" * (2 * 1024 * 1024)
    response = await api.post("/leads/import", files=csv_file(big))
    assert response.status_code == 200, response.text[:200]
    assert response.json()["created"] == 1
    huge = "name\n" + "\n" * (21 * 1024 * 1024)
    error_of(await api.post("/leads/import", files=csv_file(huge)), 413)
