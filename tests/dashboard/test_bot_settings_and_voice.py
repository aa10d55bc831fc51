"""The bot's token and catalogs in Settings, and voice notes played back through the server."""

from __future__ import annotations

import logging
import os
import sys

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.bots.service import BotTokenService
from app.domain.catalogs.models import Catalog
from app.domain.catalogs.pdf import safe_pdf_name
from app.domain.catalogs.service import MAX_CATALOG_BYTES
from app.domain.clock import FrozenClock
from app.domain.leads.service import LeadService
from app.domain.tenants.models import Tenant
from app.domain.tenants.service import NewTenant
from app.log_redaction import REDACTED, RedactBotTokens
from app.main import create_app
from tests.bot.fake_telegram import FakeTelegramThread
from tests.conftest import a_pdf, make_tenant
from tests.dashboard.conftest import csrf, log_in

TOKEN = "333333333:" + "C" * 35


async def test_bot_token_is_saved_hidden_and_removable(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    bad = await browser_client.post("/settings/bot-token", data={"token": "hello", "_csrf_token": token})
    assert bad.status_code == 422 and "not a bot token" in bad.text
    await browser_client.post("/settings/bot-token", data={"token": TOKEN, "_csrf_token": token})
    page = await browser_client.get("/settings")
    assert "token saved (hidden)" in page.text and "starting" in page.text
    assert TOKEN not in page.text and TOKEN.split(":")[1] not in page.text
    stored = await session.scalar(sa.select(Tenant.bot_token_encrypted).where(Tenant.id == tenant.tenant.id))
    await session.commit()  # end the read (on SQLite it holds the write lock)
    assert stored and TOKEN not in stored  # encrypted at rest
    await browser_client.post("/settings/bot-token", data={"remove": "1", "_csrf_token": token})
    assert "not connected" in (await browser_client.get("/settings")).text


async def test_catalog_upload_checks_the_file(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    not_pdf = await browser_client.post(
        "/settings/catalogs",
        data={"title": "Brochure", "_csrf_token": token},
        files={"file": ("brochure.pdf", b"GIF89a not a pdf", "application/pdf")},
    )
    assert not_pdf.status_code == 422 and "must be a PDF" in not_pdf.text
    await browser_client.post(
        "/settings/catalogs",
        data={"title": "Brochure", "_csrf_token": token},
        files={"file": ("brochure.pdf", a_pdf(), "application/pdf")},
    )
    page = await browser_client.get("/settings")
    assert "Brochure" in page.text and "brochure.pdf" in page.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(Catalog)) == 1
    await session.commit()


async def test_voice_notes_play_through_the_server_and_stay_in_their_tenant(
    database_url: str, engine, session: AsyncSession, clock: FrozenClock, tenant: NewTenant, tmp_path
):
    with FakeTelegramThread() as telegram:
        telegram.add_bot(TOKEN, "MarinaHomesBot")
        settings = Settings(
            database_url=database_url,
            var_dir=tmp_path,
            bot_polling=False,
            telegram_api_url=telegram.url,
            secret_key="voice-test-secret",
        )
        await BotTokenService(session, "voice-test-secret").set_token(tenant.tenant.id, TOKEN)
        leads = LeadService(session, clock)
        lead_id = (await leads.create(tenant.tenant.id, {"name": "Voicey"})).lead.id
        result = await leads.record(
            tenant.tenant.id, lead_id, "voice_message", payload={"file_id": "v-1", "duration": 4}
        )
        other = await make_tenant(session, clock, "Other")
        async with AsyncTestClient(create_app(settings, clock=clock)) as client:
            await session.commit()
            await log_in(client, tenant.admin.email)
            page = await client.get(f"/leads/{lead_id}")
            assert f'src="/leads/{lead_id}/voice/{result.event_id}"' in page.text
            audio = await client.get(f"/leads/{lead_id}/voice/{result.event_id}")
            assert audio.status_code == 200, audio.text
            assert audio.headers["content-type"] == "audio/ogg"
            assert audio.content == b"OggS fake voice"
            assert TOKEN not in page.text
            await client.post("/logout", data={"_csrf_token": await csrf(client)})
            await session.commit()
            await log_in(client, other.admin.email)
            assert (await client.get(f"/leads/{lead_id}/voice/{result.event_id}")).status_code == 404


async def test_a_failed_voice_download_is_502_and_the_token_never_reaches_the_log(
    database_url: str,
    engine,
    session: AsyncSession,
    clock: FrozenClock,
    tenant: NewTenant,
    tmp_path,
):
    with FakeTelegramThread() as telegram:
        telegram.add_bot(TOKEN, "MarinaHomesBot")
        telegram.file_status = 500
        settings = Settings(
            database_url=database_url,
            var_dir=tmp_path,
            bot_polling=False,
            telegram_api_url=telegram.url,
            secret_key="voice-test-secret",
        )
        await BotTokenService(session, "voice-test-secret").set_token(tenant.tenant.id, TOKEN)
        leads = LeadService(session, clock)
        lead_id = (await leads.create(tenant.tenant.id, {"name": "Voicey"})).lead.id
        result = await leads.record(
            tenant.tenant.id, lead_id, "voice_message", payload={"file_id": "v-1", "duration": 4}
        )
        async with AsyncTestClient(create_app(settings, clock=clock)) as client:
            await session.commit()
            await log_in(client, tenant.admin.email)
            audio = await client.get(f"/leads/{lead_id}/voice/{result.event_id}")
            assert audio.status_code == 502, audio.text
            assert "Telegram did not send the voice note" in audio.text
            assert TOKEN not in audio.text

            # Whatever else logs the token (an HTTP client's error names the URL), every handler
            # the app set up on the root logger writes the line redacted, traceback included.
            for handler in logging.getLogger().handlers:
                line = handler.format(logged_with_a_token(handler))
                assert f"/file/bot{REDACTED}/voice" in line and "Traceback" in line, line
                assert TOKEN not in line and TOKEN.split(":")[1] not in line


def logged_with_a_token(handler: logging.Handler) -> logging.LogRecord:
    """A record as aiohttp's error would make it, after `handler`'s filters."""
    url = f"https://api.telegram.org/file/bot{TOKEN}/voice/file.oga"
    try:
        raise RuntimeError(f"500, message='Internal Server Error', url='{url}'")
    except RuntimeError:
        record = logging.LogRecord("aiohttp", logging.ERROR, __file__, 1, "GET %s", (url,), sys.exc_info())
    assert handler.filter(record)
    return record


def test_the_redaction_covers_message_arguments_and_exception_text():
    secret_url = f"https://api.telegram.org/file/bot{TOKEN}/voice/1.oga"
    try:
        raise ValueError(secret_url)
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "fetch %s", (secret_url,), sys.exc_info())
    assert RedactBotTokens().filter(record)
    line = logging.Formatter().format(record)
    assert TOKEN not in line and "bot<bot token>/voice" in line and "ValueError" in line


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4 real enough",  # the header alone
        a_pdf()[:-200],  # cut short: no cross-reference table or trailer to find
        b"%PDF-1.7\n" + os.urandom(4096),
        b"<html><script>alert(1)</script></html>",
    ],
)
async def test_a_catalog_that_does_not_parse_as_a_pdf_is_refused(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant, data: bytes
):
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    response = await browser_client.post(
        "/settings/catalogs",
        data={"title": "Brochure", "_csrf_token": token},
        files={"file": ("brochure.pdf", data, "application/pdf")},
    )
    assert response.status_code == 422 and "must be a PDF" in response.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(Catalog)) == 0
    await session.commit()


async def test_a_catalog_as_large_as_the_page_promises_is_taken_under_a_safe_name(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    big = a_pdf(attachment=MAX_CATALOG_BYTES - 64 * 1024)
    assert MAX_CATALOG_BYTES - 128 * 1024 < len(big) <= MAX_CATALOG_BYTES
    saved = await browser_client.post(
        "/settings/catalogs",
        data={"title": "Big brochure", "_csrf_token": token},
        files={"file": ("../../etc/<b>plans</b>.PDF.exe", big, "application/pdf")},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:300]
    filename = await session.scalar(sa.select(Catalog.filename))
    await session.commit()
    assert filename is not None and filename.endswith(".pdf")
    assert "/" not in filename and "<" not in filename and ".." not in filename

    # The other forms keep the app's small limit.
    rules = await browser_client.post(
        "/settings/rules", data={"padding": "x" * (2 * 1024 * 1024), "_csrf_token": token}
    )
    assert rules.status_code == 413


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("brochure.pdf", "brochure.pdf"),
        ("Marina Heights (2026).PDF", "Marina Heights (2026).pdf"),
        ("C:\\Users\\me\\plans.pdf", "plans.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("", "catalog.pdf"),
        ("...", "catalog.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_catalog_file_names_are_safe_base_names_ending_in_pdf(given: str, stored: str):
    assert safe_pdf_name(given) == stored
