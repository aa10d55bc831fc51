"""Lead Management: the card list (live over SSE), its fragments, and the lead page."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from app.bot.files import download
from app.domain.agents.models import Agent
from app.domain.enums import LeadStatus, PaymentMethod, PropertyType, Purpose, TransactionType
from app.domain.errors import DomainError, NotFound
from app.domain.leads.profile import PROFILE_FIELDS
from app.domain.leads.service import LeadFilters, LeadService, ScoredLead
from app.domain.tenants.models import Tenant
from app.web.api.paging import decode_cursor, encode_cursor
from app.web.dashboard.live import CardRenderer, LiveHub
from app.web.deps import provide_lead_service

PAGE_SIZE = 24
KEEPALIVE_SECONDS = 20.0
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
        more = encode_cursor(started, cards[-1].lead) if len(cards) == PAGE_SIZE else None
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
        page = await self._page(leads, agent, temperature, status, q, None)
        counts = await leads.temperature_counts(agent.tenant_id)
        tenant = await leads.tenant(agent.tenant_id)
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
        tenant = await leads.tenant(agent.tenant_id)
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
        file_id = await leads.voice_file_id(agent.tenant_id, lead_id, event_id)
        settings = request.app.state.settings
        audio = await download(
            leads.session,
            agent.tenant_id,
            file_id,
            secret_key=request.app.state.secret_key,
            api_url=settings.telegram_api_url,
        )
        return Response(audio, media_type="audio/ogg")  # no-store, as every personal response

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
        tenant = await leads.tenant(agent.tenant_id)
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
    async def live(self, request: Request[Any, Any, Any], agent: NamedDependency[Agent]) -> ServerSentEvent:
        """The changed cards of this agent's agency, as rendered once by this process's hub."""
        hub: LiveHub = request.app.state.live
        session_id = request.cookies.get(request.app.state.session_cookie)
        tenant_id, agent_id = agent.tenant_id, agent.id

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            yield ServerSentEventMessage(comment="connected", retry=2000)
            with hub.open(tenant_id, agent_id, session_id) as feed:
                while True:
                    try:
                        message = await asyncio.wait_for(feed.queue.get(), KEEPALIVE_SECONDS)
                    except TimeoutError:  # keeps proxies from closing an idle stream
                        yield ServerSentEventMessage(comment="ping")
                        continue
                    if message is None:  # logged out or deactivated: the stream ends
                        return
                    event, data = message
                    yield ServerSentEventMessage(event=event, data=data)

        return ServerSentEvent(stream())


def card_renderer(app: Litestar) -> CardRenderer:
    """Renders `_card.html` (the one fragment for page, swap and push) for the live hub."""
    template = app.template_engine.get_template("_card.html")

    def render(scored: ScoredLead, tenant: Tenant | None, now: datetime) -> str:
        return template.render(lead=scored.lead, score=scored.score, tenant=tenant, now=now, flash=True)

    return render
