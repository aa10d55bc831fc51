"""Owners, the speed-to-lead timer and the conversion report in a real browser."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import Site, log_in
from tests.e2e.test_dashboard_browser import api

# Where the screenshots go (a developer looks at them; CI keeps them in the test's tmp dir).
SHOTS = os.environ.get("LEADHEAT_SCREENSHOTS")


def shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def hot_lead(site: Site, name: str, n: int) -> dict:
    profile = {"phone": f"+97150123{n:04d}", "budget_max": 2_000_000, "location": "Dubai Marina"}
    lead = api(site, "POST", "/leads", json={"name": name, **profile}).json()
    for _ in range(3):
        api(site, "POST", f"/leads/{lead['id']}/events", json={"type": "qr_scan"})  # 25 + 9 + 20 = 54: hot
    return lead


def test_the_timer_ticks_until_the_lead_is_claimed_and_contacted(site: Site, browser, tmp_path: Path):
    lead = hot_lead(site, "Timed Tara", 1)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, site)
    timer = page.locator(f"#lead-{lead['id']} .timer .elapsed")
    first = timer.inner_text()
    assert first.endswith(" s") or first.endswith(" min"), first
    # static/timer.js counts on without a reload (no inline script on the page).
    page.wait_for_function(
        f"() => document.querySelector('#lead-{lead['id']} .timer .elapsed').textContent !== {first!r}",
        timeout=5000,
    )
    assert page.locator("script:not([src])").count() == 0
    shot(page, tmp_path, "owners-timer.png")

    page.click(f"#lead-{lead['id']} .claim button")
    page.wait_for_selector(f"#lead-{lead['id']} .owner")
    assert page.locator(f"#lead-{lead['id']} .owner").inner_text() == "👤 Admin"  # the admin's name
    assert page.locator(f"#lead-{lead['id']} .claim").count() == 0

    page.wait_for_function("() => document.querySelector('[sse-connect]') && htmx")
    page.wait_for_timeout(300)  # the stream attaches
    api(site, "PATCH", f"/leads/{lead['id']}", json={"status": "contacted"})
    page.wait_for_selector(f"#lead-{lead['id']} .timer", state="detached", timeout=3000)
    assert api(site, "GET", f"/leads/{lead['id']}").json()["assigned_to"] == "agent@e2e.example"


def test_report_page_shows_bands_out_of_order(site: Site, browser, tmp_path: Path):
    """5 hot leads contacted, none won; 5 warm ones, 2 won: the page says hot converts worse."""
    for i in range(5):
        hot = hot_lead(site, f"Hot {i}", 10 + i)
        api(site, "PATCH", f"/leads/{hot['id']}", json={"status": "contacted"})
        profile = {"phone": f"+97150124{i:04d}", "budget_max": 900_000, "location": "JVC"}  # 25: warm
        warm = api(site, "POST", "/leads", json={"name": f"Warm {i}", **profile}).json()
        api(site, "PATCH", f"/leads/{warm['id']}", json={"status": "contacted"})
        if i < 2:
            api(
                site,
                "PATCH",
                f"/leads/{warm['id']}",
                json={"status": "won", "outcome_reason": "Price or budget"},
            )

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, site)
    page.click("text=Report")
    page.wait_for_selector("h1#conversion")
    rows = page.locator(".report table").first.locator("tbody tr").all_inner_texts()
    assert [r.split("\t")[0].split()[-1] for r in rows] == ["BURNING", "HOT", "WARM", "COLD"]
    assert rows[1].split("\t")[1:] == ["5", "5", "0", "0", "0%"]
    assert rows[2].split("\t")[1:] == ["5", "5", "2", "0", "40%"]
    warning = page.locator(".warning")
    assert "Hot leads converted worse (0%) than warm leads (40%)" in warning.inner_text()
    assert warning.locator("a").get_attribute("href") == "/settings#rules"
    bars = page.locator("svg.chart rect.bar")
    assert bars.count() == 4
    assert float(bars.nth(2).get_attribute("height")) > 0 == float(bars.nth(1).get_attribute("height"))
    shot(page, tmp_path, "owners-report.png")
