"""Screenshots of the main pages for the README: `make screenshots` (demo data, Debian's Chromium)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import served_app
from tests.e2e.conftest import ARGS, CHROMIUM
from tests.system.conftest import ROOT, litestar

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="leadheat-shots-"))
    url = f"sqlite+aiosqlite:///{var / 'demo.db'}"
    litestar(url, "database", "upgrade", "--no-prompt")
    env = {"VAR_DIR": str(var)}
    import subprocess

    from tests.system.conftest import command_env

    subprocess.run(
        [str(Path(ROOT / ".venv/bin/litestar")), "leadheat", "demo"],
        cwd=ROOT,
        env=command_env(url, **env),
        check=True,
        capture_output=True,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    with served_app(url, extra_env=env) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for name, viewport in {"desktop": (1280, 900), "phone": (390, 844)}.items():
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.goto(f"{base}/login")
            page.fill("input[name=email]", "demo@leadheat.local")
            page.fill("input[name=password]", "leadheat-demo")
            page.click("button[type=submit]")
            page.wait_for_selector(".card")
            page.wait_for_timeout(400)
            page.screenshot(path=OUT / f"leads-{name}.png")
            page.click(".card a")
            page.wait_for_selector(".lead-head")
            page.screenshot(path=OUT / f"lead-{name}.png")
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/login")
        page.screenshot(path=OUT / "login.png")
        browser.close()
    print(json.dumps(sorted(p.name for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
