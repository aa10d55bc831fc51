"""The JSON API for integrators: every route under /api/tenants/{tenant_id}, bearer-token auth."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from app.web.api.auth import BEARER_SCHEME, provide_caller
from app.web.api.events import BulkEventController
from app.web.api.imports import LeadImportController
from app.web.api.leads import LeadController
from app.web.api.reports import ReportController
from app.web.api.rules import ScoringRulesController
from app.web.api.schemas import ErrorOut

MAX_BODY = 1024 * 1024


def api_router() -> Router:
    return Router(
        path="/api/tenants/{tenant_id:uuid}",
        route_handlers=[
            LeadImportController,
            LeadController,
            BulkEventController,
            ScoringRulesController,
            ReportController,
        ],
        dependencies={"caller": Provide(provide_caller)},
        security=[{BEARER_SCHEME: []}],
        request_max_body_size=MAX_BODY,
    )


__all__ = ["ErrorOut", "api_router"]
