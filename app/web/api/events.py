"""Bulk event intake: `POST /api/tenants/{tenant_id}/events/bulk` (JSON array or NDJSON)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema

from app.domain.leads.bulk import MAX_BULK_EVENTS, BulkIntake
from app.web.api.auth import ApiCaller
from app.web.api.bulk_body import parse_events
from app.web.api.schemas import API_ERRORS, BulkOut, RejectedOut
from app.web.deps import provide_bulk_intake

MAX_BULK_BODY = 20 * 1024 * 1024

_EVENT_SCHEMA = Schema(
    type="object",  # type: ignore[arg-type]
    required=["type"],
    properties={
        "lead_id": Schema(type="string", format="uuid"),  # type: ignore[arg-type]
        "external_id": Schema(type="string"),  # type: ignore[arg-type]
        "type": Schema(type="string", enum=["qr_scan", "catalog_view", "message", "voice_message"]),  # type: ignore[arg-type]
        "occurred_at": Schema(type="string", format="date-time"),  # type: ignore[arg-type]
        "idempotency_key": Schema(type="string", max_length=200),  # type: ignore[arg-type]
        "payload": Schema(type="object"),  # type: ignore[arg-type]
    },
)


@dataclass
class BulkOperation(Operation):
    """Documents the raw body this endpoint parses itself (so one bad item rejects only itself)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=f"Up to {MAX_BULK_EVENTS} events, each naming its lead by lead_id or external_id.",
            content={
                "application/json": OpenAPIMediaType(schema=Schema(type="array", items=_EVENT_SCHEMA)),  # type: ignore[arg-type]
                "application/x-ndjson": OpenAPIMediaType(schema=_EVENT_SCHEMA),
            },
        )


class BulkEventController(Controller):
    path = "/events"
    tags = ["events"]
    dependencies = {"intake": Provide(provide_bulk_intake, sync_to_thread=False)}

    @post(
        "/bulk",
        responses=API_ERRORS,
        summary="Record many events at once (JSON array or NDJSON)",
        description=(
            "Applied together in one transaction. Bad items are listed in `rejected` with their index "
            "and do not stop the rest; a repeated idempotency_key counts as a duplicate."
        ),
        status_code=200,
        operation_class=BulkOperation,
        request_max_body_size=MAX_BULK_BODY,
    )
    async def bulk(
        self, request: Request, caller: NamedDependency[ApiCaller], intake: NamedDependency[BulkIntake]
    ) -> BulkOut:
        items = await parse_events(request.stream(), request.headers.get("content-type", ""))
        result = await intake.record_many(caller.tenant_id, items)
        return BulkOut(
            accepted=result.accepted,
            duplicates=result.duplicates,
            rejected=[RejectedOut(r.index, r.error, r.field) for r in result.rejected],
        )
