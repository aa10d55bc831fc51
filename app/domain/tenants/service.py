"""Agencies: creating one (with its admin and first API token) and changing its rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent
from app.domain.agents.passwords import check_password_policy, hash_password
from app.domain.clock import Clock, system_clock
from app.domain.enums import Role
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.leads.changes import ScoreNotifier
from app.domain.leads.outcomes import clean_reasons
from app.domain.leads.rescoring import LeadRescoring
from app.domain.scoring import DEFAULT_RULES, RuleSet
from app.domain.tenants.models import ScoringRuleChange, ScoringRuleSet, Tenant
from app.domain.tenants.rules import parse_rules, temperature_counts
from app.domain.text import check_text
from app.domain.tokens.service import TokenService

MAX_API_RATE = 10_000


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    admin: Agent
    api_token: str  # shown once


class TenantService:
    def __init__(
        self, session: AsyncSession, clock: Clock = system_clock, notify: ScoreNotifier | None = None
    ):
        self.session = session
        self.clock = clock
        self.notify = notify

    async def create(
        self,
        *,
        name: str,
        admin_email: str,
        admin_password: str,
        currency: str = "AED",
        phone_region: str = "AE",
        time_zone: str = "Asia/Dubai",
        areas: Sequence[str] = (),
    ) -> NewTenant:
        name = check_text("name", name).strip()
        if not name:
            raise InvalidInput("The agency needs a name.", "name")
        email = _clean_email(admin_email)
        check_password_policy(admin_password)
        currency = currency.strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput("currency must be a 3-letter ISO code such as AED.", "currency")
        phone_region = phone_region.strip().upper()
        if phone_region not in phonenumbers.SUPPORTED_REGIONS:
            raise InvalidInput("phone_region must be a 2-letter country code such as AE.", "phone_region")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"'{time_zone}' is not a time zone such as Asia/Dubai.", "time_zone") from None
        if await self.session.scalar(sa.select(Agent.id).where(Agent.email == email)):
            raise Conflict(f"An agent with the email {email} already exists.", "admin_email")

        tenant = Tenant(
            name=name,
            currency=currency,
            phone_region=phone_region,
            time_zone=time_zone,
            areas=[a.strip() for a in areas if a.strip()],
        )
        self.session.add(tenant)
        await self.session.flush()
        self.session.add(ScoringRuleSet(tenant_id=tenant.id, rules=DEFAULT_RULES.to_dict(), version=1))
        admin = Agent(
            tenant_id=tenant.id,
            email=email,
            name="Admin",
            password_hash=await hash_password(admin_password),
            role=Role.ADMIN,
        )
        self.session.add(admin)
        issued = await TokenService(self.session, self.clock).issue(tenant.id, "default")
        return NewTenant(tenant, admin, issued.token)

    async def get(self, tenant_id: uuid.UUID) -> Tenant:
        tenant = await self.session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound("No such agency.")
        return tenant

    async def set_outcome_reasons(self, tenant_id: uuid.UUID, text: str) -> list[str]:
        """The agency's reasons for won and lost leads, one a line as an admin typed them."""
        tenant = await self.get(tenant_id)
        tenant.outcome_reasons = clean_reasons(text.splitlines())
        await self.session.flush()
        return tenant.outcome_reasons

    async def rules(self, tenant_id: uuid.UUID) -> RuleSet:
        row = await self._rule_row(tenant_id)
        return parse_rules(row.rules)

    async def preview_rules(self, tenant_id: uuid.UUID, data: Any) -> dict[str, int]:
        """How many leads each temperature would hold under the proposed rules; saves nothing."""
        await self.get(tenant_id)
        rules = parse_rules(data)
        return await temperature_counts(self.session, tenant_id, rules, self.clock())

    async def save_rules(self, tenant_id: uuid.UUID, data: Any, *, changed_by: str) -> tuple[RuleSet, int]:
        """Validate, save, audit and re-score every lead of the tenant, in the caller's transaction."""
        rules = parse_rules(data)
        row = await self._rule_row(tenant_id, lock=True)
        old = row.rules
        row.rules = rules.to_dict()
        row.version += 1
        row.updated_by = changed_by
        await self.session.flush()
        changed = await LeadRescoring(self.session, self.clock, self.notify).rescore_tenant(tenant_id, rules)
        self.session.add(
            ScoringRuleChange(
                tenant_id=tenant_id,
                changed_by=changed_by,
                changed_at=self.clock(),
                old_rules=old,
                new_rules=rules.to_dict(),
                leads_rescored=changed,
            )
        )
        await self.session.flush()
        return rules, changed

    async def patch_rules(
        self, tenant_id: uuid.UUID, changes: dict[str, Any], *, changed_by: str
    ) -> tuple[RuleSet, int]:
        """Change only the rules in `changes` (a list such as recency_tiers is replaced whole)."""
        current = parse_rules((await self._rule_row(tenant_id, lock=True)).rules).to_dict()
        return await self.save_rules(tenant_id, {**current, **changes}, changed_by=changed_by)

    async def set_api_rate_limit(self, tenant_id: uuid.UUID, per_second: Any, burst: Any) -> Tenant:
        """Each API token's limit: requests a second, and the burst above it (taken within a second)."""
        tenant = await self.get(tenant_id)
        tenant.api_rate_per_second = _whole("per_second", per_second, 1, MAX_API_RATE)
        tenant.api_burst = _whole("burst", burst, 1, MAX_API_RATE)
        await self.session.flush()
        return tenant

    async def rule_history(self, tenant_id: uuid.UUID) -> list[ScoringRuleChange]:
        result = await self.session.scalars(
            sa.select(ScoringRuleChange)
            .where(ScoringRuleChange.tenant_id == tenant_id)
            .order_by(ScoringRuleChange.changed_at.desc())
        )
        return list(result)

    async def _rule_row(self, tenant_id: uuid.UUID, *, lock: bool = False) -> ScoringRuleSet:
        stmt = sa.select(ScoringRuleSet).where(ScoringRuleSet.tenant_id == tenant_id)
        if lock:
            stmt = stmt.with_for_update()
        row = await self.session.scalar(stmt)
        if row is None:
            await self.get(tenant_id)  # NotFound for an unknown tenant
            row = ScoringRuleSet(tenant_id=tenant_id, rules=DEFAULT_RULES.to_dict(), version=1)
            self.session.add(row)
            await self.session.flush()
        return row


def _whole(field: str, raw: Any, low: int, high: int) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}.", field)
    return int(text)


def _clean_email(raw: str) -> str:
    email = raw.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise InvalidInput(f"'{raw[:60]}' is not an email address.", "admin_email")
    return email
