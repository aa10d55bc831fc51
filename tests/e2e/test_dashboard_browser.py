"""The dashboard in a real browser: live cards that change in place as leads act."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import Site, log_in


def api(site: Site, method: str, path: str, **kwargs) -> httpx.Response:
    response = httpx.request(
        method,
        f"{site.base}/api/tenants/{site.tenant_id}{path}",
        headers={"Authorization": f"Bearer {site.token}"},
        timeout=10,
        **kwargs,
    )
    assert response.status_code < 300, response.text
    return response


def test_cards_update_in_place_and_move_when_temperature_changes(site: Site, browser):
    warm = api(
        site,
        "POST",
        "/leads",
        json={
            "name": "Hot Hamid",
            "phone": "+971501234567",
            "budget_max": 2_000_000,
            "property_type": "villa",
            "transaction_type": "buy",
        },
    ).json()
    api(site, "POST", f"/leads/{warm['id']}/events", json={"type": "message"})  # 1 + 30 + 20 = 51 hot
    cold = api(site, "POST", "/leads", json={"name": "Cold Chloe"}).json()
    api(site, "POST", f"/leads/{cold['id']}/events", json={"type": "qr_scan"})  # 3 + 20 = 23 cold

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, site)
    names = page.locator(".card h2").all_inner_texts()
    assert names == ["Hot Hamid", "Cold Chloe"]
    assert "HOT" in page.locator(f"#lead-{warm['id']} .badge").inner_text()
    assert "COLD" in page.locator(f"#lead-{cold['id']} .badge").inner_text()
    page.evaluate("window.__noReload = true")
    page.wait_for_function("() => document.querySelector('[sse-connect]') && htmx")  # the stream is attached
    page.wait_for_timeout(300)

    # A catalog view: 23 -> 25, cold -> warm; the card changes in place, then moves.
    api(site, "POST", f"/leads/{cold['id']}/events", json={"type": "catalog_view"})
    page.wait_for_function(
        f"() => document.querySelector('#lead-{cold['id']} .score').textContent.trim() === '[25]'",
        timeout=2000,
    )
    assert "WARM" in page.locator(f"#lead-{cold['id']} .badge").inner_text()
    assert page.evaluate("window.__noReload") is True

    # Enough engagement to pass the other lead: it moves to the top without a reload.
    for kind in ["qr_scan"] * 4 + ["catalog_view"] * 4 + ["voice_message", "message", "message"]:  # 53
        api(site, "POST", f"/leads/{cold['id']}/events", json={"type": kind})
    page.wait_for_function(
        "() => document.querySelector('.card h2').textContent.trim() === 'Cold Chloe'", timeout=3000
    )
    assert page.evaluate("window.__noReload") is True


def test_a_new_lead_appears_and_filters_work(site: Site, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(page, site)
    assert page.locator(".card").count() == 0
    page.wait_for_timeout(300)
    lead = api(site, "POST", "/leads", json={"name": "نگار حسینی", "phone": "050 765 4321"}).json()
    page.wait_for_selector(f"#lead-{lead['id']}", timeout=3000)
    assert page.locator(f"#lead-{lead['id']} h2").get_attribute("dir") == "auto"
    page.fill("input[name=q]", "nobody")
    page.wait_for_selector(".empty", timeout=3000)
    page.fill("input[name=q]", "765")
    page.wait_for_selector(f"#lead-{lead['id']}", timeout=3000)


def test_editing_a_lead_in_the_browser_rescores_it(site: Site, browser):
    lead = api(site, "POST", "/leads", json={"name": "Edit Me"}).json()
    page = browser.new_page()
    log_in(page, site)
    page.click(f"#lead-{lead['id']} a")
    page.fill("input[name=phone]", "050 123 4567")
    page.select_option("select[name=property_type]", "villa")
    page.click("form.edit button[type=submit]")
    page.wait_for_load_state("load")
    assert "[15]" in page.locator(".lead-head .score").inner_text()
    assert page.locator("input[name=phone]").input_value() == "+971501234567"


def test_changing_the_scoring_rules_rescores_the_cards(site: Site, browser):
    lead = api(site, "POST", "/leads", json={"name": "Rule Rana"}).json()
    api(site, "POST", f"/leads/{lead['id']}/events", json={"type": "message"})  # 1 + 20 = 21, cold
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    log_in(page, site)
    assert page.locator(f"#lead-{lead['id']} .score").inner_text() == "[21]"
    page.goto(f"{site.base}/settings")
    page.fill("input[name=message_points]", "9")
    page.wait_for_selector("#preview .b-warm strong")  # the live preview answered
    assert page.locator("#preview .b-warm strong").inner_text() == "1"
    page.click("form.rules button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(site.base)
    assert page.locator(f"#lead-{lead['id']} .score").inner_text() == "[29]"
    assert "WARM" in page.locator(f"#lead-{lead['id']} .badge").inner_text()


def test_no_page_breaks_the_content_security_policy(site: Site, browser):
    """Every page under the app's CSP: no violation, no console error, and live cards still
    arrive (htmx and its SSE extension run as the app's own files)."""
    lead = api(site, "POST", "/leads", json={"name": "Policy Pia"}).json()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    log_in(page, site)
    card = page.locator(f"#lead-{lead['id']}")
    card.wait_for()
    api(site, "POST", f"/leads/{lead['id']}/events", json={"type": "message"})  # 1 + 20 = 21
    expect(page.locator(f"#lead-{lead['id']}")).to_have_attribute("data-score", "21", timeout=10_000)
    page.fill("input[name=q]", "Policy")
    page.wait_for_timeout(500)
    for path in (f"/leads/{lead['id']}", "/settings", "/schema"):
        page.goto(f"{site.base}{path}")
        page.wait_for_load_state("networkidle")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)  # the API docs rendered
    assert problems == []
