"""Reports: `/api/tenants/{tenant_id}/reports/...`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from app.domain.leads.period import Period
from app.domain.leads.service import LeadService
from app.web.api.auth import ApiCaller
from app.web.api.schemas import API_ERRORS, ConversionOut
from app.web.deps import provide_lead_service


class ReportController(Controller):
    path = "/reports"
    tags = ["reports"]
    dependencies = {"leads": Provide(provide_lead_service, sync_to_thread=False)}

    @get(
        "/conversion",
        summary="Conversion by temperature",
        description=(
            "For the leads created from `from` to `to` (days in the agency's time zone, both included; "
            "default: the last 90 days), one item per temperature, hottest first. A lead counts in the band "
            "it had when first contacted, or its peak band if nobody contacted it. "
            "`conversion_rate` is won / leads."
        ),
        responses=API_ERRORS,
    )
    async def conversion(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        from_: Annotated[date | None, QueryParameter(name="from", description="YYYY-MM-DD")] = None,
        to: Annotated[date | None, QueryParameter(description="YYYY-MM-DD")] = None,
    ) -> list[ConversionOut]:
        tenant = await leads.tenant(caller.tenant_id)
        period = Period.of(from_, to, tenant.time_zone, leads.clock())
        bands = await leads.reports.conversion(caller.tenant_id, period.start, period.end)
        return [
            ConversionOut(b.temperature, b.leads, b.contacted, b.won, b.lost, b.conversion_rate)
            for b in bands
        ]
