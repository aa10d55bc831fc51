"""Leads and their events: `/api/tenants/{tenant_id}/leads...`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import UNSET

from app.domain.leads.checks import API_EVENT_TYPES, interaction_type
from app.domain.leads.export import ExportFormat, LeadExport
from app.domain.leads.service import LeadFilters, LeadService, ScoredLead
from app.domain.text import check_time
from app.web.api.auth import ApiCaller
from app.web.api.paging import decode_cursor, encode_cursor, next_link
from app.web.api.schemas import (
    API_ERRORS,
    BreakdownOut,
    EventIn,
    EventOut,
    HistoryPointOut,
    LeadDetailOut,
    LeadFields,
    LeadOut,
)
from app.web.deps import provide_lead_export, provide_lead_service

MAX_PAGE = 500


def _split(values: list[str] | None) -> list[str]:
    """`?temperature=hot&temperature=burning` and `?temperature=hot,burning` alike."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@dataclass
class ExportOperation(Operation):
    """The export's 200 is a file: CSV or NDJSON, as `format` asks."""

    def __post_init__(self) -> None:
        text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(
                description="Every lead that matches, one row (CSV) or one JSON object (NDJSON) a line",
                content={"text/csv": text, ExportFormat.NDJSON.media_type: text},
            ),
        }


def detail(scored: ScoredLead) -> LeadDetailOut:
    base = LeadOut.of(scored.lead, scored.score)
    fields = {name: getattr(base, name) for name in base.__struct_fields__}
    return LeadDetailOut(**fields, score_breakdown=BreakdownOut.of(scored.score))


TemperatureQuery = Annotated[
    list[str] | None, QueryParameter(description="burning, hot, warm or cold; repeat or comma-separate")
]
SearchQuery = Annotated[
    str | None, QueryParameter(description="Part of the name or phone number", max_length=200)
]
StatusQuery = Annotated[list[str] | None, QueryParameter(description="new, contacted, ...; repeatable")]
SinceQuery = Annotated[datetime | None, QueryParameter(description="ISO-8601 with offset")]


def list_filters(
    temperature: list[str] | None,
    status: list[str] | None,
    q: str | None,
    updated_since: datetime | None,
    **more: object,
) -> LeadFilters:
    return LeadFilters(
        temperatures=_split(temperature),
        statuses=_split(status),
        query=q,
        updated_since=_aware(updated_since),
        **more,  # type: ignore[arg-type]
    )


class LeadController(Controller):
    path = "/leads"
    tags = ["leads"]
    dependencies = {
        "leads": Provide(provide_lead_service, sync_to_thread=False),
        "export": Provide(provide_lead_export, sync_to_thread=False),
    }

    @get(
        "/",
        responses=API_ERRORS,
        summary="Leads, best first",
        description=(
            'A JSON array ordered by live score, then newest. Follow the `Link: <...>; rel="next"` '
            "header for the next page: a walk never returns a lead twice, and never skips a lead "
            "whose score did not change during the walk."
        ),
    )
    async def list_leads(
        self,
        request: Request,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        temperature: TemperatureQuery = None,
        q: SearchQuery = None,
        status: StatusQuery = None,
        updated_since: SinceQuery = None,
        assigned_to: Annotated[
            str | None, QueryParameter(description="Only this agent's leads (their email)", max_length=320)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=400)] = None,
    ) -> Response[list[LeadOut]]:
        owner = await leads.ownership.agent_by_email(caller.tenant_id, assigned_to) if assigned_to else None
        after = decode_cursor(cursor) if cursor else None
        walk_started_at = after.walk_started_at if after else leads.clock()
        page = await leads.list(
            caller.tenant_id,
            list_filters(
                temperature, status, q, updated_since, assigned_agent_id=owner, limit=limit, after=after
            ),
        )
        headers = {}
        if len(page) == limit:
            headers["Link"] = next_link(request, encode_cursor(walk_started_at, page[-1].lead))
        return Response([LeadOut.of(s.lead, s.score) for s in page], headers=headers)

    @get(
        "/export",
        responses=API_ERRORS,
        summary="Every lead, streamed as CSV or NDJSON",
        description=(
            "All the lead's fields, the live score and temperature, and the counts, with the list's "
            "filters and order. CSV cells starting with =, +, -, @ (or a tab or carriage return) get a "
            "leading ' so a spreadsheet shows them as text rather than running them."
        ),
        operation_class=ExportOperation,
    )
    async def export_leads(
        self,
        caller: NamedDependency[ApiCaller],
        export: NamedDependency[LeadExport],
        format: Annotated[str, QueryParameter(description="csv or ndjson", max_length=10)] = "csv",
        temperature: TemperatureQuery = None,
        q: SearchQuery = None,
        status: StatusQuery = None,
        updated_since: SinceQuery = None,
    ) -> Stream:
        kind = ExportFormat.parse(format)
        body = export.stream(caller.tenant_id, list_filters(temperature, status, q, updated_since), kind)
        return Stream(
            body,
            media_type=kind.media_type,
            headers={"Content-Disposition": f'attachment; filename="leads.{kind.value}"'},
        )

    @get("/{lead_id:uuid}", summary="One lead with its score breakdown", responses=API_ERRORS)
    async def get_lead(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
    ) -> LeadDetailOut:
        return detail(await leads.get(caller.tenant_id, lead_id))

    @post(
        "/",
        responses={
            **API_ERRORS,
            200: ResponseSpec(LeadDetailOut, description="An existing lead matched and was updated"),
        },
        summary="Create a lead, or update the one with the same external_id (or phone)",
        description="201 with the new lead, or 200 with the updated one.",
        status_code=HTTP_201_CREATED,
    )
    async def upsert_lead(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        data: JSONBody[LeadFields],
    ) -> Response[LeadDetailOut]:
        fields = data.given()
        owner = await _owner_id(leads, caller.tenant_id, fields)
        scored, created = await leads.upsert(caller.tenant_id, fields, source="api")
        if owner is not UNSET:
            await leads.assign(caller.tenant_id, scored.lead.id, owner)
            scored = await leads.get(caller.tenant_id, scored.lead.id)
        return Response(detail(scored), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @patch(
        "/{lead_id:uuid}",
        summary="Change profile fields, status, outcome or owner; re-scores",
        description=(
            "`assigned_to`: the email of one of the agency's active agents, or null for nobody (422 "
            "otherwise). `outcome_reason` must be one of the agency's reasons (see the settings)."
        ),
        responses=API_ERRORS,
    )
    async def update_lead(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[LeadFields],
    ) -> LeadDetailOut:
        fields = data.given()
        owner = await _owner_id(leads, caller.tenant_id, fields)
        if owner is not UNSET:
            await leads.assign(caller.tenant_id, lead_id, owner)
        if not fields:
            return detail(await leads.get(caller.tenant_id, lead_id))
        return detail(await leads.update_profile(caller.tenant_id, lead_id, fields, source="api"))

    @get(
        "/{lead_id:uuid}/history",
        summary="The lead's score over time",
        description="One point per stored event, oldest first: when, the score and temperature it left, "
        "what changed, and the breakdown (the newest 500 events).",
        responses=API_ERRORS,
    )
    async def lead_history(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
    ) -> list[HistoryPointOut]:
        return [
            HistoryPointOut(
                time=p.time,
                score=p.score,
                temperature=p.temperature,
                change=p.change,
                score_before=p.score_before,
                breakdown=BreakdownOut.of(p.breakdown) if p.breakdown else None,
            )
            for p in await leads.history(caller.tenant_id, lead_id)
        ]

    @delete(
        "/{lead_id:uuid}",
        responses=API_ERRORS,
        summary="Erase the person: the lead and its events",
        description=(
            "For a person who asks to be forgotten: the lead, its events (messages, voice notes, "
            "catalog views) are deleted; one audit line (which token erased which lead id, when) "
            "stays. 204, and 404 from then on."
        ),
        status_code=HTTP_204_NO_CONTENT,
    )
    async def erase_lead(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
    ) -> None:
        await leads.erase(caller.tenant_id, lead_id, erased_by=caller.audit_name)

    @post(
        "/{lead_id:uuid}/events",
        responses={
            **API_ERRORS,
            200: ResponseSpec(EventOut, description="The idempotency_key was seen before: the first answer"),
        },
        summary="Record an interaction; returns the new score",
        description=(
            "201 with the new score. A repeated `idempotency_key` returns the first answer with 200 "
            "and counts nothing. `occurred_at` needs an offset and may not be more than 5 minutes ahead."
        ),
        status_code=HTTP_201_CREATED,
    )
    async def record_event(
        self,
        caller: NamedDependency[ApiCaller],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[EventIn],
    ) -> Response[EventOut]:
        result = await leads.record(
            caller.tenant_id,
            lead_id,
            interaction_type(data.type, API_EVENT_TYPES),
            occurred_at=data.occurred_at,
            idempotency_key=data.idempotency_key,
            payload=data.payload,
            source="api",
        )
        body = EventOut(
            event_id=result.event_id,
            lead_id=result.lead_id,
            lead_score=result.score,
            temperature=result.temperature,
            score_before=result.score_before,
            duplicate=result.duplicate,
            score_breakdown=BreakdownOut.of(result.breakdown),
        )
        return Response(body, status_code=HTTP_200_OK if result.duplicate else HTTP_201_CREATED)


async def _owner_id(leads: LeadService, tenant_id: uuid.UUID, fields: dict[str, Any]) -> Any:
    """`assigned_to` taken out of the fields: the agent's id, None (nobody), or UNSET (not sent)."""
    if "assigned_to" not in fields:
        return UNSET
    email = fields.pop("assigned_to")
    return None if email is None else await leads.ownership.agent_by_email(tenant_id, email)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else check_time("updated_since", value)
