"""Lead Management: the card list (live over SSE), its fragments, and the lead page."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from app.bot.files import download
from app.domain.agents.models import Agent
from app.domain.enums import EventType, LeadStatus, PaymentMethod, PropertyType, Purpose, TransactionType
from app.domain.errors import DomainError, NotFound
from app.domain.leads.models import LeadEvent
from app.domain.leads.profile import PROFILE_FIELDS
from app.domain.leads.service import LeadFilters, LeadService
from app.domain.tenants.models import Tenant
from app.web.api.paging import decode_cursor, encode_cursor
from app.web.dashboard.live import tenant_channel
from app.web.deps import provide_lead_service

PAGE_SIZE = 24
EDITABLE = [
    "name",
    "phone",
    "email",
    "language",
    "budget_min",
    "budget_max",
    "transaction_type",
    "property_type",
    "location",
    "payment_method",
    "purpose",
    "status",
    "notes",
]
CHOICES = {
    "transaction_type": [m.value for m in TransactionType],
    "property_type": [m.value for m in PropertyType],
    "payment_method": [m.value for m in PaymentMethod],
    "purpose": [m.value for m in Purpose],
    "status": [m.value for m in LeadStatus],
}


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


class LeadPages(Controller):
    path = ""
    include_in_schema = False
    dependencies = {"leads": Provide(provide_lead_service, sync_to_thread=False)}

    async def _page(
        self,
        leads: LeadService,
        agent: Agent,
        temperature: str | None,
        status: str | None,
        q: str | None,
        cursor: str | None,
    ) -> dict[str, Any]:
        after = decode_cursor(cursor) if cursor else None
        started = after.walk_started_at if after else leads.clock()
        cards = await leads.list(
            agent.tenant_id,
            LeadFilters(
                temperatures=_split(temperature),
                statuses=_split(status),
                query=q,
                limit=PAGE_SIZE,
                after=after,
            ),
        )
        more = encode_cursor(started, cards[-1]) if len(cards) == PAGE_SIZE else None
        return {"cards": cards, "next_cursor": more, "now": leads.clock()}

    @get("/", name="leads")
    async def leads_page(
        self,
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        temperature: Annotated[str | None, QueryParameter(max_length=100)] = None,
        status: Annotated[str | None, QueryParameter(max_length=200)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Template:
        page = await self._page(leads, agent, temperature, status, q, None)  # refreshes due leads
        counts = await leads.temperature_counts(agent.tenant_id, refresh=False)
        tenant = await leads.session.get(Tenant, agent.tenant_id)
        await leads.session.commit()
        return Template(
            "leads.html",
            context={
                "agent": agent,
                "tenant": tenant,
                "counts": counts,
                "filters": {"temperature": temperature or "", "status": status or "", "q": q or ""},
                "statuses": CHOICES["status"],
                **page,
            },
        )

    @get("/cards", name="cards")
    async def cards(
        self,
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        temperature: Annotated[str | None, QueryParameter(max_length=100)] = None,
        status: Annotated[str | None, QueryParameter(max_length=200)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=400)] = None,
    ) -> Template:
        tenant = await leads.session.get(Tenant, agent.tenant_id)
        page = await self._page(leads, agent, temperature, status, q, cursor)
        filters = {"temperature": temperature or "", "status": status or "", "q": q or ""}
        return Template("_cards.html", context={"tenant": tenant, "filters": filters, **page})

    @get("/leads/{lead_id:uuid}", name="lead")
    async def lead_page(
        self, agent: NamedDependency[Agent], leads: NamedDependency[LeadService], lead_id: FromPath[uuid.UUID]
    ) -> Template:
        return await self._render_lead(leads, agent, lead_id, error=None, status_code=200)

    @post("/leads/{lead_id:uuid}", name="lead_update", status_code=303)
    async def update_lead(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
    ) -> Template | Redirect:
        form = await request.form()
        changes = {k: (form.get(k) or None) for k in EDITABLE if k in form and k in PROFILE_FIELDS}
        for always_text in ("name", "notes"):
            if always_text in changes and changes[always_text] is None:
                changes[always_text] = ""
        try:
            await leads.update_profile(agent.tenant_id, lead_id, changes, source="dashboard")
        except NotFound:
            raise
        except DomainError as exc:
            return await self._render_lead(leads, agent, lead_id, error=exc, status_code=422, form=dict(form))
        return Redirect(f"/leads/{lead_id}?saved=1", status_code=303)

    @get("/leads/{lead_id:uuid}/voice/{event_id:uuid}", name="voice")
    async def voice(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
        event_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """A lead's voice note, fetched from Telegram by the server and streamed to the agent."""
        event = await leads.session.scalar(
            sa.select(LeadEvent).where(
                LeadEvent.tenant_id == agent.tenant_id,
                LeadEvent.lead_id == lead_id,
                LeadEvent.id == event_id,
                LeadEvent.type == EventType.VOICE_MESSAGE,
            )
        )
        file_id = (event.payload or {}).get("file_id") if event else None
        if not isinstance(file_id, str):
            await leads.session.commit()
            raise NotFound("No such voice note.")
        settings = request.app.state.settings
        audio = await download(
            leads.session,
            agent.tenant_id,
            file_id,
            secret_key=request.app.state.secret_key,
            api_url=settings.telegram_api_url,
        )
        return Response(audio, media_type="audio/ogg", headers={"Cache-Control": "private, max-age=3600"})

    async def _render_lead(
        self,
        leads: LeadService,
        agent: Agent,
        lead_id: uuid.UUID,
        *,
        error: DomainError | None,
        status_code: int,
        form: dict[str, Any] | None = None,
    ) -> Template:
        scored = await leads.get(agent.tenant_id, lead_id)
        events = await leads.timeline(agent.tenant_id, lead_id)
        tenant = await leads.session.get(Tenant, agent.tenant_id)
        await leads.session.commit()
        return Template(
            "lead.html",
            context={
                "agent": agent,
                "tenant": tenant,
                "lead": scored.lead,
                "score": scored.score,
                "events": events,
                "choices": CHOICES,
                "error": error,
                "form": form or {},
                "now": leads.clock(),
            },
            status_code=status_code,
        )

    @get("/live", name="live")
    async def live(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[Agent],
        channels: NamedDependency[ChannelsPlugin],
    ) -> ServerSentEvent:
        """Each changed card of this agent's tenant, rendered for this subscriber."""
        tenant_id = agent.tenant_id
        app = request.app
        card = app.template_engine.get_template("_card.html")

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            yield ServerSentEventMessage(comment="connected", retry=2000)
            async with channels.start_subscription([tenant_channel(tenant_id)]) as subscriber:
                async for raw in subscriber.iter_events():
                    message = json.loads(raw)
                    async with app.state.db_config.get_session() as session:
                        service = LeadService(session, app.state.clock, app.state.get("notify"))
                        try:
                            scored = await service.get(tenant_id, uuid.UUID(message["lead"]))
                        except NotFound:
                            continue
                        tenant = await session.get(Tenant, tenant_id)
                        html = card.render(lead=scored.lead, tenant=tenant, now=service.clock(), flash=True)
                    yield ServerSentEventMessage(event=f"lead-{message['lead']}", data=html)
                    if message.get("moved"):
                        yield ServerSentEventMessage(event="reorder", data="")

        return ServerSentEvent(stream())
