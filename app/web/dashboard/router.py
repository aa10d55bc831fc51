"""The dashboard: server-rendered pages behind a login, with their own error pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from app.domain.errors import DomainError
from app.web.dashboard.auth import (
    PROFILE_PATH,
    LoginController,
    LoginRequired,
    PasswordChangeRequired,
    provide_agent,
    provide_logged_in_agent,
)
from app.web.dashboard.data import DataPages
from app.web.dashboard.pages import LeadPages
from app.web.dashboard.profile import ProfilePages
from app.web.dashboard.reports import ReportPages
from app.web.dashboard.settings import SettingsPages
from app.web.dashboard.webhooks import WebhookPages


def _send_to(request: Request[Any, Any, Any], path: str, status_code: int) -> Response[Any]:
    if request.headers.get("hx-request"):  # a fragment: send the whole page there
        return Response(b"", status_code=status_code, headers={"HX-Redirect": path})
    return Redirect(path)


def _login_required(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    return _send_to(request, "/login", 401)


def _password_change_required(request: Request[Any, Any, Any], _: PasswordChangeRequired) -> Response[Any]:
    return _send_to(request, PROFILE_PATH, 403)


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, DomainError):
        status, message = exc.status_code, exc.message
    elif isinstance(exc, HTTPException):
        status, message = exc.status_code, exc.detail
    else:
        raise exc
    if status == 404 and not isinstance(exc, DomainError):
        message = "There is no such page here."
    return Template("error.html", context={"message": message, "status": status}, status_code=status)


def dashboard_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            LoginController,
            Router(
                path="/",
                route_handlers=[LeadPages, SettingsPages, WebhookPages, DataPages, ReportPages],
                dependencies={"agent": Provide(provide_agent)},
            ),
            # The one page an agent who still has an admin-chosen password may open.
            Router(
                path="/",
                route_handlers=[ProfilePages],
                dependencies={"agent": Provide(provide_logged_in_agent)},
            ),
        ],
        exception_handlers={
            LoginRequired: _login_required,
            PasswordChangeRequired: _password_change_required,
            DomainError: _error_page,
            HTTPException: _error_page,
        },
        include_in_schema=False,
    )
