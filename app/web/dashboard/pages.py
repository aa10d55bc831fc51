"""Lead Management: the card list (live over SSE), its fragments, and the lead page."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from app.bot.files import download
from app.domain.agents.models import Agent
from app.domain.agents.service import list_agents
from app.domain.enums import LeadStatus, PaymentMethod, PropertyType, Purpose, Role, TransactionType
from app.domain.errors import DomainError, InvalidInput, NotFound
from app.domain.leads.outcomes import reasons_of
from app.domain.leads.profile import PROFILE_FIELDS
from app.domain.leads.service import LeadFilters, LeadService, ScoredLead
from app.domain.scoring import line_groups
from app.domain.tenants.models import Tenant
from app.domain.tenants.rules import rules_for
from app.web.api.paging import decode_cursor, encode_cursor
from app.web.dashboard.charts import score_chart
from app.web.dashboard.live import CardRenderer, LiveHub
from app.web.dashboard.settings import Forbidden
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


def _filters(temperature: str | None, status: str | None, q: str | None, mine: bool) -> dict[str, Any]:
    return {"temperature": temperature or "", "status": status or "", "q": q or "", "mine": mine}


@dataclass
class AssignForm:
    agent_id: str = ""  # empty: nobody


@dataclass
class OutcomeForm:
    status: str = ""
    reason: str = ""
    note: str = ""


FormBody = Body(media_type=RequestEncodingType.URL_ENCODED)


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
        mine: bool = False,
    ) -> dict[str, Any]:
        after = decode_cursor(cursor) if cursor else None
        started = after.walk_started_at if after else leads.clock()
        cards = await leads.list(
            agent.tenant_id,
            LeadFilters(
                temperatures=_split(temperature),
                statuses=_split(status),
                query=q,
                assigned_agent_id=agent.id if mine else None,
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
        mine: Annotated[bool, QueryParameter()] = False,
    ) -> Template:
        page = await self._page(leads, agent, temperature, status, q, None, mine)
        counts = await leads.temperature_counts(agent.tenant_id)
        tenant = await leads.tenant(agent.tenant_id)
        return Template(
            "leads.html",
            context={
                "agent": agent,
                "tenant": tenant,
                "counts": counts,
                "filters": _filters(temperature, status, q, mine),
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
        mine: Annotated[bool, QueryParameter()] = False,
    ) -> Template:
        tenant = await leads.tenant(agent.tenant_id)
        page = await self._page(leads, agent, temperature, status, q, cursor, mine)
        filters = _filters(temperature, status, q, mine)
        return Template("_cards.html", context={"tenant": tenant, "filters": filters, **page})

    @get("/leads/{lead_id:uuid}", name="lead")
    async def lead_page(
        self,
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
        claim: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Template:
        return await self._render_lead(leads, agent, lead_id, error=None, status_code=200, claim=claim)

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

    @post("/leads/{lead_id:uuid}/claim", name="lead_claim", status_code=200)
    async def claim(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
    ) -> Template | Redirect:
        """Take an unowned lead: from a card (HTMX: the card again) or the lead page."""
        result = await leads.claim(agent.tenant_id, lead_id, agent.id)
        if request.headers.get("HX-Request"):
            scored = await leads.get(agent.tenant_id, lead_id)
            tenant = await leads.tenant(agent.tenant_id)
            context = {"lead": scored.lead, "score": scored.score, "tenant": tenant, "now": leads.clock()}
            return Template("_card.html", context=context)
        return Redirect(f"/leads/{lead_id}?claim={result.outcome.value}", status_code=303)

    @post("/leads/{lead_id:uuid}/assign", name="lead_assign", status_code=303)
    async def assign(
        self,
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
        data: Annotated[AssignForm, FormBody],
    ) -> Template | Redirect:
        """An admin gives the lead to an agent of the agency, or to nobody."""
        if agent.role is not Role.ADMIN:
            raise Forbidden("Only an agency admin can reassign leads.")
        try:
            owner = uuid.UUID(data.agent_id) if data.agent_id else None
        except ValueError:
            raise InvalidInput("Pick an agent of this agency.", "agent_id") from None
        try:
            await leads.assign(agent.tenant_id, lead_id, owner)
        except InvalidInput as exc:
            return await self._render_lead(leads, agent, lead_id, error=exc, status_code=422)
        return Redirect(f"/leads/{lead_id}?saved=1", status_code=303)

    @post("/leads/{lead_id:uuid}/outcome", name="lead_outcome", status_code=303)
    async def outcome(
        self,
        agent: NamedDependency[Agent],
        leads: NamedDependency[LeadService],
        lead_id: FromPath[uuid.UUID],
        data: Annotated[OutcomeForm, FormBody],
    ) -> Template | Redirect:
        """Won or lost, with one of the agency's reasons and the agent's own words."""
        try:
            await leads.set_outcome(
                agent.tenant_id, lead_id, data.status, reason=data.reason or None, note=data.note
            )
        except NotFound:
            raise
        except DomainError as exc:
            form = {"outcome_status": data.status, "outcome_reason": data.reason, "outcome_note": data.note}
            return await self._render_lead(leads, agent, lead_id, error=exc, status_code=422, form=form)
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
        claim: str | None = None,
    ) -> Template:
        scored = await leads.get(agent.tenant_id, lead_id)
        events = await leads.timeline(agent.tenant_id, lead_id)
        tenant = await leads.tenant(agent.tenant_id)
        rules = await rules_for(leads.session, agent.tenant_id)
        history = await leads.history(agent.tenant_id, lead_id)
        is_admin = agent.role is Role.ADMIN
        return Template(
            "lead.html",
            context={
                "agent": agent,
                "tenant": tenant,
                "lead": scored.lead,
                "score": scored.score,
                "groups": line_groups(scored.score.lines),
                "chart": score_chart(history, rules, tenant.time_zone),
                "agents": [a for a in await list_agents(leads.session, agent.tenant_id) if a.is_active]
                if is_admin
                else [],
                "reasons": reasons_of(tenant.outcome_reasons),
                "outcomes": [s.value for s in (LeadStatus.WON, LeadStatus.LOST)],
                "events": events,
                "claim": claim,
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
