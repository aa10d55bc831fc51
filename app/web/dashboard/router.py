"""The dashboard: server-rendered pages behind a login, with their own error pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from app.domain.errors import DomainError
from app.web.dashboard.auth import LoginController, LoginRequired, provide_agent
from app.web.dashboard.pages import LeadPages
from app.web.dashboard.reports import ReportPages
from app.web.dashboard.settings import SettingsPages


def _login_required(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    if request.headers.get("hx-request"):  # a fragment: send the whole page to the login
        return Response(b"", status_code=401, headers={"HX-Redirect": "/login"})
    return Redirect("/login")


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
                route_handlers=[LeadPages, SettingsPages, ReportPages],
                dependencies={"agent": Provide(provide_agent)},
            ),
        ],
        exception_handlers={
            LoginRequired: _login_required,
            DomainError: _error_page,
            HTTPException: _error_page,
        },
        include_in_schema=False,
    )
