"""Settings for admins: scoring rules (with a live preview), API tokens, agents, campaigns and QR codes."""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents import service as agents
from app.domain.agents.models import Agent
from app.domain.bots.service import BotTokenService
from app.domain.campaigns.service import CampaignService, qr_png, qr_svg
from app.domain.catalogs.service import MAX_CATALOG_BYTES, CatalogService
from app.domain.enums import Role
from app.domain.errors import DomainError, InvalidInput
from app.domain.leads.outcomes import MAX_REASONS, reasons_of
from app.domain.scoring import MAX_RECENCY_TIERS, RuleSet
from app.domain.tenants.models import Tenant
from app.domain.tenants.service import TenantService
from app.domain.tokens.scopes import DEFAULT_SCOPE, TokenScope
from app.domain.tokens.service import TokenService

RULE_FIELDS = [
    ("qr_scan_points", "QR scan, each"),
    ("qr_scan_cap", "QR scans, at most"),
    ("catalog_view_points", "Catalog view, each"),
    ("catalog_view_cap", "Catalog views, at most"),
    ("message_points", "Message, each"),
    ("message_cap", "Messages, at most"),
    ("voice_bonus", "Voice bonus"),
    ("phone_points", "Has phone"),
    ("budget_points", "Has budget"),
    ("transaction_type_points", "Buy or rent"),
    ("property_type_points", "Property type"),
    ("location_points", "Area"),
    ("payment_method_points", "Payment method"),
    ("burning_threshold", "Burning from"),
    ("hot_threshold", "Hot from"),
    ("warm_threshold", "Warm from"),
]
# The catalog form: the file the page promises (20 MB) and the form's other fields and framing.
CATALOG_FORM_BYTES = MAX_CATALOG_BYTES + 64 * 1024
# The form offers a row for every tier the rules allow (fewer would drop saved tiers).
MAX_TIERS = MAX_RECENCY_TIERS


@dataclass
class TokenForm:
    name: str = ""
    scope: str = DEFAULT_SCOPE.value


@dataclass
class RateLimitForm:
    per_second: str = ""
    burst: str = ""


@dataclass
class ReasonsForm:
    reasons: str = ""  # one a line


class Forbidden(DomainError):
    status_code = 403


def provide_admin(agent: NamedDependency[Agent]) -> Agent:
    if agent.role is not Role.ADMIN:
        raise Forbidden("Only an agency admin can open the settings.")
    return agent


def rules_from_form(form: FormMultiDict) -> dict[str, Any]:
    """Form fields to a rule-set dict; recency tiers are rows of (hours, points)."""
    data: dict[str, Any] = {}
    for name, _ in RULE_FIELDS:
        raw = (form.get(name) or "").strip()
        if not raw.lstrip("-").isdigit():
            raise InvalidInput(f"Scoring rule {name}: must be a whole number.", name)
        data[name] = int(raw)
    tiers = []
    for i in range(MAX_TIERS):
        hours, points = (
            (form.get(f"tier_hours_{i}") or "").strip(),
            (form.get(f"tier_points_{i}") or "").strip(),
        )
        if not hours and not points:
            continue
        try:
            seconds_value = float(hours) * 3600
        except ValueError:
            seconds_value = math.nan
        if not math.isfinite(seconds_value):  # "inf", "nan", "1e999", "1e308" (x 3600) are floats
            raise InvalidInput(f"Recency row {i + 1}: hours must be a number.", f"recency_tiers[{i}]")
        seconds = round(seconds_value)
        if not points.lstrip("-").isdigit():
            raise InvalidInput(f"Recency row {i + 1}: points must be a whole number.", f"recency_tiers[{i}]")
        tiers.append({"max_age_seconds": seconds, "points": int(points)})
    data["recency_tiers"] = tiers
    return data


class SettingsPages(Controller):
    path = "/settings"
    include_in_schema = False
    dependencies = {"admin": Provide(provide_admin, sync_to_thread=False)}

    async def _render(
        self, request: Request, session: AsyncSession, admin: Agent, *, status_code: int = 200, **extra: Any
    ) -> Template:
        tenants = TenantService(session, request.app.state.clock)
        tenant = await session.get(Tenant, admin.tenant_id)
        rules: RuleSet = await tenants.rules(admin.tenant_id)
        counts = await tenants.preview_rules(admin.tenant_id, rules.to_dict())
        context = {
            "agent": admin,
            "tenant": tenant,
            "rules": rules,
            "rule_fields": RULE_FIELDS,
            "max_tiers": MAX_TIERS,
            "max_catalog_mb": MAX_CATALOG_BYTES // (1024 * 1024),
            "max_reasons": MAX_REASONS,
            "counts": counts,
            "history": (await tenants.rule_history(admin.tenant_id))[:5],
            "tokens": await TokenService(session).list(admin.tenant_id),
            "agents": await agents.list_agents(session, admin.tenant_id),
            "campaigns": await CampaignService(session).list(admin.tenant_id),
            "catalogs": await CatalogService(session).list(admin.tenant_id),
            "reasons": reasons_of(tenant.outcome_reasons if tenant else None),
            "form": {},
            "error": None,
            "section": None,
            "new_token": None,
            "scopes": [s.value for s in TokenScope],
            **extra,
        }
        return Template("settings.html", context=context, status_code=status_code)

    @get("/", name="settings")
    async def settings_page(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        return await self._render(request, db_session, admin)

    @post("/rules/preview", status_code=200)
    async def preview(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        try:
            counts = await TenantService(db_session, request.app.state.clock).preview_rules(
                admin.tenant_id, rules_from_form(await request.form())
            )
            return Template("_preview.html", context={"counts": counts, "error": None})
        except DomainError as exc:
            return Template("_preview.html", context={"counts": None, "error": exc.message}, status_code=422)

    @post("/rules", status_code=303)
    async def save_rules(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        form = await request.form()
        try:
            _, changed = await TenantService(
                db_session, request.app.state.clock, request.app.state.notify
            ).save_rules(admin.tenant_id, rules_from_form(form), changed_by=admin.email)
        except DomainError as exc:
            return await self._render(
                request, db_session, admin, status_code=422, error=exc, section="rules", form=dict(form)
            )
        return Redirect(f"/settings?saved=rules&rescored={changed}", status_code=303)

    @post("/tokens", status_code=200)
    async def create_token(
        self,
        request: Request,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[TokenForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        name = data.name.strip()[:200] or "API token"
        issued = await TokenService(db_session).issue(admin.tenant_id, name, TokenScope.parse(data.scope))
        return await self._render(request, db_session, admin, new_token=issued.token, section="tokens")

    @post("/rate-limit", status_code=303)
    async def set_rate_limit(
        self,
        request: Request,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[RateLimitForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        try:
            await TenantService(db_session).set_api_rate_limit(admin.tenant_id, data.per_second, data.burst)
        except DomainError as exc:
            return await self._render(
                request, db_session, admin, status_code=422, error=exc, section="tokens"
            )
        return Redirect("/settings?saved=rate-limit#tokens", status_code=303)

    @post("/tokens/{token_id:uuid}/revoke", status_code=303)
    async def revoke_token(
        self,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        token_id: FromPath[uuid.UUID],
    ) -> Redirect:
        await TokenService(db_session).revoke(admin.tenant_id, token_id)
        return Redirect("/settings#tokens", status_code=303)

    async def _change(
        self,
        request: Request,
        db_session: AsyncSession,
        admin: Agent,
        section: str,
        change: Awaitable[object],
        form: FormMultiDict | None = None,
    ) -> Template | Redirect:
        """Run one settings change: back to its section, or the page again saying what is wrong."""
        try:
            await change
        except DomainError as exc:
            return await self._render(
                request,
                db_session,
                admin,
                status_code=exc.status_code,
                error=exc,
                section=section,
                form=dict(form or {}),
            )
        return Redirect(f"/settings#{section}", status_code=303)

    @post("/agents", status_code=303)
    async def invite_agent(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        form = await request.form()
        invite = agents.invite(
            db_session,
            admin.tenant_id,
            email=form.get("email") or "",
            name=form.get("name") or "",
            role=form.get("role") or "agent",
            password=form.get("password") or "",
        )
        return await self._change(request, db_session, admin, "agents", invite, form)

    @post("/agents/{agent_id:uuid}/active", status_code=303)
    async def toggle_agent(
        self,
        request: Request,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        agent_id: FromPath[uuid.UUID],
    ) -> Template | Redirect:
        active = (await request.form()).get("active") == "1"
        change = agents.set_active(db_session, admin.tenant_id, agent_id, active, by=admin.id)
        return await self._change(request, db_session, admin, "agents", change)

    @post("/agents/{agent_id:uuid}/role", status_code=303)
    async def change_role(
        self,
        request: Request,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        agent_id: FromPath[uuid.UUID],
    ) -> Template | Redirect:
        role = (await request.form()).get("role") or ""
        change = agents.set_role(db_session, admin.tenant_id, agent_id, role, by=admin.id)
        return await self._change(request, db_session, admin, "agents", change)

    @post("/outcome-reasons", status_code=303)
    async def set_outcome_reasons(
        self,
        request: Request,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[ReasonsForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        tenants = TenantService(db_session, request.app.state.clock)
        change = tenants.set_outcome_reasons(admin.tenant_id, data.reasons)
        return await self._change(request, db_session, admin, "outcomes", change)

    @post("/bot", status_code=303)
    async def set_bot(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        username = (await request.form()).get("bot_username")
        change = CampaignService(db_session).set_bot_username(admin.tenant_id, username)
        return await self._change(request, db_session, admin, "campaigns", change)

    @post("/bot-token", status_code=303)
    async def set_bot_token(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        form = await request.form()
        service = BotTokenService(db_session, request.app.state.secret_key)
        change = (
            service.remove_token(admin.tenant_id)
            if form.get("remove")
            else service.set_token(admin.tenant_id, form.get("token") or "")
        )
        return await self._change(request, db_session, admin, "bot", change)

    @post("/catalogs", status_code=303, request_max_body_size=CATALOG_FORM_BYTES)
    async def add_catalog(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        form = await request.form()

        async def upload() -> None:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise InvalidInput("Choose a PDF file to upload.", "file")
            data = await file.read(MAX_CATALOG_BYTES + 1)
            await CatalogService(db_session).add(
                admin.tenant_id,
                title=form.get("title") or "",
                filename=file.filename or "catalog.pdf",
                data=data,
            )

        return await self._change(request, db_session, admin, "catalogs", upload())

    @post("/catalogs/{catalog_id:uuid}/remove", status_code=303)
    async def remove_catalog(
        self,
        request: Request,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        catalog_id: FromPath[uuid.UUID],
    ) -> Template | Redirect:
        change = CatalogService(db_session).remove(admin.tenant_id, catalog_id)
        return await self._change(request, db_session, admin, "catalogs", change)

    @post("/campaigns", status_code=303)
    async def create_campaign(
        self, request: Request, admin: NamedDependency[Agent], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        form = await request.form()
        change = CampaignService(db_session).create(
            admin.tenant_id, form.get("name") or "", form.get("slug") or ""
        )
        return await self._change(request, db_session, admin, "campaigns", change, form)

    @get("/campaigns/{campaign_id:uuid}/qr/{kind:str}")
    async def campaign_qr(
        self,
        admin: NamedDependency[Agent],
        db_session: NamedDependency[AsyncSession],
        campaign_id: FromPath[uuid.UUID],
        kind: FromPath[str],
    ) -> Response[bytes]:
        view = await CampaignService(db_session).get(admin.tenant_id, campaign_id)
        if kind not in {"png", "svg"}:
            raise InvalidInput("The QR code comes as .png or .svg.", "kind")
        if view.deep_link is None:
            raise InvalidInput(
                "Set the agency's Telegram bot username first; the QR code points at it.", "bot_username"
            )
        body, media = (
            (qr_png(view.deep_link), "image/png")
            if kind == "png"
            else (qr_svg(view.deep_link), "image/svg+xml")
        )
        filename = f"qr-{view.campaign.slug}.{kind}"
        return Response(
            body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )
