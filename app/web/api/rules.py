"""A tenant's scoring rules: read, preview, replace, or change some
(`/api/tenants/{tenant_id}/scoring-rules`)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from app.domain.errors import InvalidInput
from app.domain.scoring import RuleSet
from app.domain.tenants.service import TenantService
from app.web.api.auth import NEEDS_SCOPE, ApiCaller
from app.web.api.schemas import (
    API_ERRORS,
    PreviewOut,
    SavedRulesOut,
    ScoringRulesIn,
    ScoringRulesOut,
    TemperatureCounts,
)
from app.web.deps import provide_tenant_service
from app.web.errors import field_of


async def strict_body(request: Request) -> dict:
    """The rule set exactly as sent: numbers must be JSON numbers ("7" is refused, not coerced)."""
    try:
        return msgspec.json.decode(await request.body(), type=ScoringRulesIn, strict=True).given()
    except msgspec.ValidationError as exc:
        field = field_of(str(exc), None)
        raise InvalidInput(f"{field}: {exc}" if field else str(exc), field) from None


# Changing (or trying) the rules needs an admin token; reading them any token.
ADMIN_ONLY = {NEEDS_SCOPE: "admin"}


def rules_out(rules: RuleSet) -> ScoringRulesOut:
    return msgspec.convert(rules.to_dict(), ScoringRulesOut)


class ScoringRulesController(Controller):
    path = "/scoring-rules"
    tags = ["scoring rules"]
    dependencies = {"tenants": Provide(provide_tenant_service, sync_to_thread=False)}

    @get("/", summary="The agency's scoring rules", responses=API_ERRORS)
    async def get_rules(
        self, caller: NamedDependency[ApiCaller], tenants: NamedDependency[TenantService]
    ) -> ScoringRulesOut:
        return rules_out(await tenants.rules(caller.tenant_id))

    @put(
        "/",
        opt=ADMIN_ONLY,
        responses=API_ERRORS,
        summary="Replace the scoring rules; re-scores every lead",
        description=(
            "Fields left out take SCORING.md's default values. Refused with 422, naming the field, unless "
            "every value is a non-negative whole number, tier ages strictly increase, and "
            "warm < hot < burning within 0..100. The change is audited."
        ),
    )
    async def put_rules(
        self,
        caller: NamedDependency[ApiCaller],
        tenants: NamedDependency[TenantService],
        data: JSONBody[ScoringRulesIn],
        request: Request,
    ) -> SavedRulesOut:
        rules, changed = await tenants.save_rules(
            caller.tenant_id, await strict_body(request), changed_by=caller.audit_name
        )
        return SavedRulesOut(rules=rules_out(rules), leads_rescored=changed)

    @patch(
        "/",
        opt=ADMIN_ONLY,
        responses=API_ERRORS,
        summary="Change only the rules sent; re-scores every lead",
        description=(
            "The fields sent replace the current values; every other rule is kept (`recency_tiers`, "
            "when sent, replaces the whole list). Validated, audited and applied like PUT."
        ),
    )
    async def patch_rules(
        self,
        caller: NamedDependency[ApiCaller],
        tenants: NamedDependency[TenantService],
        data: JSONBody[ScoringRulesIn],
        request: Request,
    ) -> SavedRulesOut:
        rules, changed = await tenants.patch_rules(
            caller.tenant_id, await strict_body(request), changed_by=caller.audit_name
        )
        return SavedRulesOut(rules=rules_out(rules), leads_rescored=changed)

    @post(
        "/preview",
        opt=ADMIN_ONLY,
        responses=API_ERRORS,
        summary="How many leads each temperature would hold under proposed rules (nothing is saved)",
        status_code=200,
    )
    async def preview(
        self,
        caller: NamedDependency[ApiCaller],
        tenants: NamedDependency[TenantService],
        data: JSONBody[ScoringRulesIn],
        request: Request,
    ) -> PreviewOut:
        proposal = await strict_body(request)
        current_rules = await tenants.rules(caller.tenant_id)
        current = await tenants.preview_rules(caller.tenant_id, current_rules.to_dict())
        proposed = await tenants.preview_rules(caller.tenant_id, proposal)
        return PreviewOut(current=TemperatureCounts(**current), proposed=TemperatureCounts(**proposed))
