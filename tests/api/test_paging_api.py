"""Walking the lead list with `limit` and the `Link: rel="next"` header while scores change."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.conftest import LINK_NEXT, Api
from tests.conftest import T0

# (name, profile, events at T0): scores at T0 in the comment.
SEED: list[tuple[str, dict[str, Any], list[str]]] = [
    ("a", {"phone": "+971501111111", "budget_max": 1, "location": "Marina"}, ["voice_message"]),  # 51
    ("b", {"phone": "+971501111112"}, ["qr_scan", "qr_scan"]),  # 36
    ("c", {"budget_max": 1}, ["message"]),  # 31
    ("d", {"phone": "+971501111114", "budget_max": 1}, []),  # 20
    ("e", {"location": "JVC"}, ["catalog_view"]),  # 27
    ("f", {"phone": "+971501111116"}, []),  # 10
    ("g", {"location": "JLT", "property_type": "villa"}, []),  # 10
    ("h", {}, ["message", "message"]),  # 22
    ("i", {}, []),  # 0
    ("j", {"payment_method": "cash"}, []),  # 5
    ("k", {"transaction_type": "rent"}, []),  # 5
]


async def seed(api: Api, *, distinct_times: bool = True) -> dict[str, str]:
    """The SEED leads, created a second apart (unless told otherwise); the clock ends at T0."""
    ids = {}
    for n, (name, profile, events) in enumerate(SEED):
        api.clock.now = T0 - timedelta(seconds=len(SEED) - n) if distinct_times else T0
        lead = await api.create_lead(name=name, **profile)
        ids[name] = lead["id"]
        api.clock.now = T0
        for kind in events:
            await api.event(lead["id"], kind)
    return ids


def flat(pages: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [lead for page in pages for lead in page]


def assert_ordered(page: list[dict[str, Any]]) -> None:
    keys = [(lead["lead_score"], lead["created_at"], lead["id"]) for lead in page]
    assert keys == sorted(keys, reverse=True), keys


@pytest.mark.parametrize("limit", [2, 3])
async def test_a_quiet_walk_returns_every_lead_once_in_list_order(api: Api, limit: int):
    await seed(api)
    everything = (await api.get("/leads")).json()
    assert len(everything) == len(SEED)
    pages = await api.walk(f"/leads?limit={limit}")
    assert all(len(page) <= limit for page in pages)
    assert [lead["id"] for lead in flat(pages)] == [lead["id"] for lead in everything]
    assert_ordered(flat(pages))


async def test_next_link_keeps_the_filters(api: Api):
    ids = await seed(api)
    first = await api.get("/leads", params={"limit": 2, "temperature": ["warm", "cold"], "q": "+97150"})
    link = LINK_NEXT.search(first.headers["link"])
    assert link is not None
    query = parse_qs(urlsplit(link.group(1)).query)
    assert query["temperature"] == ["warm", "cold"] and query["q"] == ["+97150"] and query["limit"] == ["2"]
    assert "cursor" in query
    pages = await api.walk("/leads?limit=2&temperature=warm&temperature=cold&q=%2B97150")
    # phone holders that are warm or cold: b (36), d (20), f (10); a is hot
    assert [lead["id"] for lead in flat(pages)] == [ids["b"], ids["d"], ids["f"]]


async def test_last_page_has_no_next_link(api: Api):
    await seed(api)
    response = await api.get("/leads?limit=50")
    assert len(response.json()) == len(SEED)
    assert "link" not in response.headers


async def test_a_walk_over_leads_with_equal_score_and_creation_time(api: Api):
    for i in range(7):  # an import or a burst: same instant, same score
        await api.create_lead(name=f"twin {i}")
    everything = [lead["id"] for lead in (await api.get("/leads")).json()]
    pages = await api.walk("/leads?limit=2")
    assert [lead["id"] for lead in flat(pages)] == everything


async def test_a_walk_while_scores_change_and_time_passes(api: Api):
    ids = await seed(api)
    before = {lead["id"]: lead["lead_score"] for lead in (await api.get("/leads")).json()}
    touched: set[str] = set()

    async def meanwhile(page_number: int) -> None:
        api.clock.now += timedelta(minutes=25)  # after page 3 every recent lead has crossed 1 h
        if page_number == 1:  # a lead already seen rises; one not seen yet rises above the cursor
            await api.event(ids["a"], "qr_scan")
            await api.event(ids["j"], "voice_message")
            touched.update({ids["a"], ids["j"]})
        elif page_number == 2:  # a lead not seen yet falls
            await api.patch(f"/leads/{ids['f']}", json={"phone": None})
            touched.add(ids["f"])
        elif page_number == 3:
            await api.event(ids["k"], "message")
            touched.add(ids["k"])

    pages = await api.walk("/leads?limit=2", between=meanwhile)
    seen = Counter(lead["id"] for lead in flat(pages))
    after = {lead["id"]: lead["lead_score"] for lead in (await api.get("/leads")).json()}
    unchanged = {lid for lid in before if lid not in touched and before[lid] == after[lid]}
    assert unchanged == {ids[n] for n in ("d", "g", "i")}  # the leads with no recency to lose
    assert [lid for lid, n in seen.items() if n > 1] == []
    assert {lid for lid in unchanged if seen[lid] != 1} == set()
    for page in pages:
        assert_ordered(page)


async def test_a_walk_while_recency_drops_does_not_repeat_leads(api: Api):
    ids = await seed(api)

    async def an_hour_later(_: int) -> None:
        api.clock.now += timedelta(hours=1)  # every lead with an interaction loses 5 points

    pages = await api.walk("/leads?limit=3", between=an_hour_later)
    seen = Counter(lead["id"] for lead in flat(pages))
    assert max(seen.values()) == 1
    for name in ("d", "f", "g", "i", "j", "k"):  # no interaction, so no change
        assert seen[ids[name]] == 1, name


async def test_a_walk_while_a_seen_lead_falls_below_the_cursor(api: Api):
    ids = await seed(api)
    first = await api.get("/leads?limit=3")
    assert [lead["id"] for lead in first.json()] == [ids["a"], ids["b"], ids["c"]]
    api.clock.now += timedelta(milliseconds=1)

    # Lead a (51) loses phone, budget and location: 26, below the cursor (c at 31).
    response = await api.patch(
        f"/leads/{ids['a']}", json={"phone": None, "budget_max": None, "location": None}
    )
    assert response.json()["lead_score"] == 26

    link = LINK_NEXT.search(first.headers["link"])
    assert link is not None
    rest = await api.walk(link.group(1))
    seen = Counter(lead["id"] for lead in first.json() + flat(rest))
    assert seen[ids["a"]] == 1, "lead a was returned twice in one walk"
    assert seen == Counter(ids.values())  # nobody else changed: everyone exactly once


async def test_a_walk_across_a_boundary_that_does_not_change_the_score(api: Api):
    """With rules where a scan alone reaches the 100 cap, crossing a recency boundary changes nothing."""
    saved = await api.put("/scoring-rules", json={"qr_scan_points": 100, "qr_scan_cap": 100})
    assert saved.status_code == 200, saved.text
    names = []
    for i in range(4):
        api.clock.now = T0 + timedelta(seconds=i)
        lead = await api.create_lead(name=f"capped {i}")
        await api.event(lead["id"], "qr_scan")
        names.append(lead["id"])
    api.clock.now = T0 + timedelta(seconds=10)

    async def an_hour_later(_: int) -> None:
        api.clock.now += timedelta(hours=1)

    pages = await api.walk("/leads?limit=2", between=an_hour_later)
    assert {lead["lead_score"] for lead in flat(pages)} == {100}
    assert sorted(lead["id"] for lead in flat(pages)) == sorted(names)
