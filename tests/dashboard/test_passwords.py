"""Passwords: the policy, agents changing their own, the admin-chosen first password replaced at
first login, and an invite that never tells which emails other agencies have."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import DEMO_PASSWORD
from app.domain.agents import service as agents
from app.domain.agents.passwords import MIN_PASSWORD_LENGTH, check_password_policy
from app.domain.clock import FrozenClock
from app.domain.errors import InvalidInput
from app.domain.tenants.service import NewTenant
from tests.conftest import make_tenant
from tests.dashboard.conftest import PASSWORD, change_password, csrf, log_in


@pytest.mark.parametrize(
    "password, problem",
    [
        ("x" * (MIN_PASSWORD_LENGTH - 1), "at least 12 characters"),
        ("qwerty123456", "too common"),
        ("QWERTY123456", "too common"),
        ("LeaveMeAlone", "too common"),
    ],
)
def test_short_and_common_passwords_are_refused(password: str, problem: str):
    with pytest.raises(InvalidInput, match=problem):
        check_password_policy(password)


def test_the_demo_and_test_passwords_meet_the_policy():
    for password in (DEMO_PASSWORD, PASSWORD, "e2e-password", "benchmark-pw"):
        check_password_policy(password)


async def test_an_agent_changes_their_own_password(browser_client: AsyncTestClient, tenant: NewTenant):
    await log_in(browser_client, tenant.admin.email)
    page = await browser_client.get("/")
    assert 'href="/profile"' in page.text  # linked from the header
    assert "Change your password" in (await browser_client.get("/profile")).text
    for current, new, repeat, problem in [
        ("not my password", "a brand new secret", "a brand new secret", "current password is not right"),
        (PASSWORD, "a brand new secret", "a brand new secreT", "differ"),
        (PASSWORD, "short one", "short one", "at least 12 characters"),
        (PASSWORD, "qwerty123456", "qwerty123456", "too common"),
    ]:
        token = await csrf(browser_client)
        refused = await browser_client.post(
            "/profile/password",
            data={
                "current_password": current,
                "new_password": new,
                "repeat_password": repeat,
                "_csrf_token": token,
            },
        )
        assert refused.status_code == 422 and problem in refused.text, problem
    saved = await change_password(browser_client, PASSWORD, "a brand new secret")
    assert saved.status_code == 303
    await browser_client.post("/logout", data={"_csrf_token": await csrf(browser_client)})
    assert (await log_in(browser_client, tenant.admin.email)).status_code == 401
    assert (await log_in(browser_client, tenant.admin.email, "a brand new secret")).status_code == 303


async def test_a_password_an_admin_chose_is_replaced_at_first_login(
    browser_client: AsyncTestClient, session: AsyncSession, tenant: NewTenant
):
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    weak = await browser_client.post(
        "/settings/agents",
        data={
            "email": "bea@example.com",
            "name": "Bea",
            "role": "agent",
            "password": "bea-pw",
            "_csrf_token": token,
        },
    )
    assert weak.status_code == 422 and "at least 12 characters" in weak.text
    await browser_client.post(
        "/settings/agents",
        data={
            "email": "bea@example.com",
            "name": "Bea",
            "role": "agent",
            "password": "from the admin",
            "_csrf_token": token,
        },
    )
    await browser_client.post("/logout", data={"_csrf_token": token})

    first = await log_in(browser_client, "bea@example.com", "from the admin")
    assert first.status_code == 303 and first.headers["location"] == "/profile"
    for path in ("/", "/settings"):
        response = await browser_client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303) and response.headers["location"] == "/profile", path
    fragment = await browser_client.get("/cards", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.headers["HX-Redirect"] == "/profile"
    assert "Choose your own" in (await browser_client.get("/profile")).text

    assert (await change_password(browser_client, "from the admin", "bea chose this one")).status_code == 303
    assert (await browser_client.get("/", follow_redirects=False)).status_code == 200
    await browser_client.post("/logout", data={"_csrf_token": await csrf(browser_client)})
    again = await log_in(browser_client, "bea@example.com", "bea chose this one")
    assert again.headers["location"] == "/"


def alert(html: str) -> str:
    return html.split('role="alert">')[1].split("</p>")[0]


async def test_inviting_an_email_of_another_agency_gives_the_same_generic_answer(
    browser_client: AsyncTestClient, session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    rival = await make_tenant(session, clock, "Rival Realty")
    await agents.invite(
        session,
        tenant.tenant.id,
        email="ours@example.com",
        name="Ours",
        role="agent",
        password="our first pw",
    )
    await session.commit()
    await log_in(browser_client, tenant.admin.email)
    token = await csrf(browser_client)
    answers = []
    for email in (rival.admin.email, "ours@example.com"):
        response = await browser_client.post(
            "/settings/agents",
            data={
                "email": email,
                "name": "X",
                "role": "agent",
                "password": "some long password",
                "_csrf_token": token,
            },
        )
        assert response.status_code == 409
        message = alert(response.text)
        assert email not in message and "already exists" not in message and "Rival" not in response.text
        answers.append(message)
    assert answers[0] == answers[1] == agents.EMAIL_UNAVAILABLE
