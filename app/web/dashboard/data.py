"""Admins take the agency's leads out (the API's export) and erase a person, from the dashboard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Stream

from app.domain.agents.models import Agent
from app.domain.errors import InvalidInput
from app.domain.leads.export import ExportFormat, LeadExport
from app.domain.leads.service import LeadFilters, LeadService
from app.web.dashboard.settings import provide_admin
from app.web.deps import provide_lead_export, provide_lead_service

CONFIRMED = "yes"


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


@dataclass
class EraseForm:
    # The checkbox "erase this person for good": without it nothing is erased.
    confirm: str = ""


class DataPages(Controller):
    path = "/leads"
    include_in_schema = False
    dependencies = {
        "admin": Provide(provide_admin, sync_to_thread=False),
        "leads": Provide(provide_lead_service, sync_to_thread=False),
        "export": Provide(provide_lead_export, sync_to_thread=False),
    }

    @get("/export", name="export")
    async def export_leads(
        self,
        admin: NamedDependency[Agent],
        export: NamedDependency[LeadExport],
        format: Annotated[str, QueryParameter(max_length=10)] = "csv",
        temperature: Annotated[str | None, QueryParameter(max_length=100)] = None,
        status: Annotated[str | None, QueryParameter(max_length=200)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Stream:
        """The leads the board shows (same filters), as a file."""
        kind = ExportFormat.parse(format)
        filters = LeadFilters(temperatures=_split(temperature), statuses=_split(status), query=q)
        return Stream(
            export.stream(admin.tenant_id, filters, kind),
            media_type=kind.media_type,
            headers={"Content-Disposition": f'attachment; filename="leads.{kind.value}"'},
        )

    @post("/{lead_id:uuid}/erase", name="erase", status_code=303)
    async def erase_lead(
        self,
        admin: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
        data: Annotated[EraseForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        if data.confirm != CONFIRMED:
            raise InvalidInput("Tick the box to confirm: erasing cannot be undone.", "confirm")
        await leads.erase(admin.tenant_id, lead_id, erased_by=f"admin {admin.email}")
        return Redirect("/?erased=1", status_code=303)
