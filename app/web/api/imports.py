"""CSV import of existing leads: `POST /api/tenants/{tenant_id}/leads/import`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body

from app.domain.leads.csv_import import import_csv
from app.domain.leads.service import LeadService
from app.web.api.auth import ApiCaller
from app.web.api.schemas import API_ERRORS, ImportErrorOut, ImportOut
from app.web.deps import provide_lead_service

MAX_CSV_BYTES = 20 * 1024 * 1024


@dataclass
class CsvUpload:
    """The upload: the CSV file in the form field `file`."""

    file: UploadFile


class LeadImportController(Controller):
    path = "/leads/import"
    tags = ["leads"]
    dependencies = {"leads": Provide(provide_lead_service, sync_to_thread=False)}

    @post(
        "/",
        responses=API_ERRORS,
        summary="Import leads from a CSV file; each row is scored on the way in",
        description=(
            "multipart/form-data with the file in `file`. The header names the columns: lead fields "
            "(name, phone, email, external_id, budget_min, budget_max, transaction_type, property_type, "
            "location, payment_method, purpose, status, ...) and optionally qr_scan_count, catalog_views, "
            "messages_count, voice_messages_count and last_interaction_at. A row whose external_id (or "
            "phone) matches a lead updates it. Rows with errors are reported by line; the rest go in."
        ),
        status_code=200,
        request_max_body_size=MAX_CSV_BYTES,
    )
    async def import_leads(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        data: Annotated[CsvUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ImportOut:
        result = await import_csv(leads, caller.tenant_id, await data.file.read())
        return ImportOut(
            created=result.created,
            updated=result.updated,
            errors=[ImportErrorOut(e.line, e.error, e.field) for e in result.errors],
        )
