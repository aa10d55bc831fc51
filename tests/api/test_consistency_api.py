"""The bulk endpoint and the single one agree on idempotency keys; PATCH of the rules changes
only what is sent, PUT replaces the whole set."""

from __future__ import annotations

from app.domain.scoring import DEFAULT_RULES
from tests.api.conftest import Api, error_of


async def test_a_bulk_item_reusing_another_leads_key_is_rejected_not_a_duplicate(api: Api):
    a = await api.create_lead(name="A")
    b = await api.create_lead(name="B")
    await api.event(a["id"], "message", idempotency_key="used-by-a")
    single = error_of(
        await api.post(f"/leads/{b['id']}/events", json={"type": "message", "idempotency_key": "used-by-a"}),
        409,
        "idempotency_key",
    )
    result = await api.bulk(
        [
            {"lead_id": b["id"], "type": "message", "idempotency_key": "used-by-a"},  # 0: another lead's
            {"lead_id": a["id"], "type": "message", "idempotency_key": "used-by-a"},  # 1: a true duplicate
            {"lead_id": a["id"], "type": "qr_scan", "idempotency_key": "fresh"},  # 2: new
            {"lead_id": b["id"], "type": "qr_scan", "idempotency_key": "fresh"},  # 3: taken by item 2
        ]
    )
    assert (result["accepted"], result["duplicates"]) == (1, 1)
    assert [(r["index"], r["field"], r["error"]) for r in result["rejected"]] == [
        (0, "idempotency_key", single["error"]),
        (3, "idempotency_key", single["error"]),
    ]
    assert (await api.lead(b["id"]))["messages_count"] == 0
    assert (await api.lead(b["id"]))["qr_scan_count"] == 0
    assert (await api.lead(a["id"]))["qr_scan_count"] == 1


async def test_patch_changes_only_the_rules_sent(api: Api):
    await api.put("/scoring-rules", json={"phone_points": 7, "hot_threshold": 60})
    response = await api.patch("/scoring-rules", json={"qr_scan_points": 4})
    assert response.status_code == 200, response.text
    rules = response.json()["rules"]
    assert (rules["qr_scan_points"], rules["phone_points"], rules["hot_threshold"]) == (4, 7, 60)
    assert (await api.get("/scoring-rules")).json() == rules

    # PUT still replaces: what it leaves out goes back to the default.
    replaced = (await api.put("/scoring-rules", json={"qr_scan_points": 4})).json()["rules"]
    assert replaced["phone_points"] == DEFAULT_RULES.to_dict()["phone_points"]


async def test_a_bad_patch_changes_nothing(api: Api):
    before = (await api.get("/scoring-rules")).json()
    error_of(await api.patch("/scoring-rules", json={"warm_threshold": 99}), 422)
    error_of(await api.patch("/scoring-rules", json={"qr_scan_points": "7"}), 422, "qr_scan_points")
    error_of(await api.patch("/scoring-rules", json={"nope": 1}), 422, "nope")
    assert (await api.get("/scoring-rules")).json() == before
