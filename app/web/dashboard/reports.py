"""The admins' report: conversion by temperature (table and chart) and speed-to-lead."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Template

from app.domain.agents.models import Agent
from app.domain.leads.period import Period
from app.domain.leads.reports import MIN_BAND_LEADS, out_of_order
from app.domain.leads.service import LeadService
from app.web.dashboard.charts import conversion_chart
from app.web.dashboard.settings import provide_admin
from app.web.deps import provide_lead_service


class ReportPages(Controller):
    path = "/reports"
    include_in_schema = False
    dependencies = {
        "admin": Provide(provide_admin, sync_to_thread=False),
        "leads": Provide(provide_lead_service, sync_to_thread=False),
    }

    @get("/", name="reports")
    async def report(
        self,
        admin: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        from_: Annotated[date | None, QueryParameter(name="from")] = None,
        to: Annotated[date | None, QueryParameter()] = None,
    ) -> Template:
        tenant = await leads.tenant(admin.tenant_id)
        period = Period.of(from_, to, tenant.time_zone, leads.clock())
        bands = await leads.reports.conversion(admin.tenant_id, period.start, period.end)
        speed = await leads.reports.speed_to_lead(admin.tenant_id, period.start, period.end)
        return Template(
            "report.html",
            context={
                "agent": admin,
                "tenant": tenant,
                "period": period,
                "bands": bands,
                "chart": conversion_chart(bands),
                "out_of_order": out_of_order(bands),
                "min_band_leads": MIN_BAND_LEADS,
                "speed": speed,
            },
        )
