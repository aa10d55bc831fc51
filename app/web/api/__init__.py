"""The JSON API for integrators: every route under /api/tenants/{tenant_id}, bearer-token auth."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from app.web.api.auth import BEARER_SCHEME, authenticate, provide_caller
from app.web.api.events import BulkEventController
from app.web.api.imports import LeadImportController
from app.web.api.leads import LeadController
from app.web.api.rate_headers import rate_limit_headers
from app.web.api.reports import ReportController
from app.web.api.rules import ScoringRulesController
from app.web.api.schemas import ErrorOut
from app.web.api.webhooks import WebhookController

MAX_BODY = 1024 * 1024


def api_router() -> Router:
    return Router(
        path="/api/tenants/{tenant_id:uuid}",
        route_handlers=[
            LeadImportController,
            LeadController,
            BulkEventController,
            ScoringRulesController,
            WebhookController,
            ReportController,
        ],
        guards=[authenticate],  # before the body is read: see app/web/api/auth.py
        dependencies={"caller": Provide(provide_caller, sync_to_thread=False)},
        security=[{BEARER_SCHEME: []}],
        request_max_body_size=MAX_BODY,
        middleware=[rate_limit_headers],
    )


__all__ = ["ErrorOut", "api_router"]
