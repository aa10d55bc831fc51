"""Create, verify and revoke a tenant's API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import Clock, system_clock
from app.domain.errors import NotFound
from app.domain.tenants.models import Tenant
from app.domain.tokens.limits import LIMITER, Admission, TokenLimits
from app.domain.tokens.models import ApiToken
from app.domain.tokens.scopes import DEFAULT_SCOPE, TokenScope

TOKEN_PREFIX = "lh_"
# How long this process trusts a token it has looked up: a revocation made by another process
# takes effect here within this time; one made by this process at once.
TRUSTED_FOR_SECONDS = 1.0
MAX_TRUSTED = 10_000


def digest(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no KDF needed) and
    # lets a lookup be one indexed equality.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    tenant_id: uuid.UUID
    token_id: uuid.UUID
    name: str
    scope: TokenScope
    limits: TokenLimits


class TrustedTokens:
    """Live tokens looked up in the last second, by digest: the API's hot path skips a query."""

    def __init__(self, seconds: float = TRUSTED_FOR_SECONDS) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, TokenIdentity]] = {}

    def get(self, token_digest: str) -> TokenIdentity | None:
        entry = self._entries.get(token_digest)
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, token_digest: str, identity: TokenIdentity) -> None:
        if len(self._entries) >= MAX_TRUSTED:
            self._entries.clear()
        self._entries[token_digest] = (time.monotonic(), identity)

    def forget(self, token_id: uuid.UUID) -> None:
        for key, (_, identity) in list(self._entries.items()):
            if identity.token_id == token_id:
                del self._entries[key]


TRUSTED = TrustedTokens()


@dataclass(frozen=True)
class IssuedToken:
    id: uuid.UUID
    token: str  # the secret, shown this once


class TokenService:
    def __init__(self, session: AsyncSession, clock: Clock = system_clock) -> None:
        self.session = session
        self.clock = clock

    async def issue(self, tenant_id: uuid.UUID, name: str, scope: TokenScope = DEFAULT_SCOPE) -> IssuedToken:
        """Create a token in the caller's unit of work."""
        if await self.session.get(Tenant, tenant_id) is None:
            raise NotFound("No such agency.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(
            tenant_id=tenant_id,
            name=name,
            prefix=secret[:10],
            token_hash=digest(secret),
            scope=TokenScope(scope).value,
        )
        self.session.add(row)
        await self.session.flush()
        return IssuedToken(row.id, secret)

    async def lookup(self, token: str) -> ApiToken | None:
        """The live (not revoked) token with this secret, or None."""
        return await self.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
        )

    @staticmethod
    def trusted(token: str) -> TokenIdentity | None:
        """Who a token is, if this process looked it up in the last second (no query)."""
        return TRUSTED.get(digest(token))

    async def identify(self, token: str) -> TokenIdentity | None:
        """Who a live token is (tenant, id, name, scope, its agency's rate limit); trusted for a
        second once looked up."""
        token_digest = digest(token)
        known = TRUSTED.get(token_digest)
        if known is not None:
            return known
        row = (
            await self.session.execute(
                select(ApiToken, Tenant.api_rate_per_second, Tenant.api_burst)
                .join(Tenant, Tenant.id == ApiToken.tenant_id)
                .where(ApiToken.token_hash == token_digest, ApiToken.revoked_at.is_(None))
            )
        ).first()
        if row is None:
            return None
        found, per_second, burst = row
        identity = TokenIdentity(
            found.tenant_id, found.id, found.name, TokenScope(found.scope), TokenLimits(per_second, burst)
        )
        TRUSTED.put(token_digest, identity)
        return identity

    async def admit(self, identity: TokenIdentity) -> Admission:
        """Spend one request of the token's rate limit (this process's allowance, or a refill)."""
        now = self.clock()
        local = LIMITER.admit_locally(identity.token_id, identity.limits, now.timestamp())
        if local is not None:
            return local
        return await LIMITER.admit(self.session, identity.token_id, identity.limits, now)

    async def tenant_of(self, token: str) -> uuid.UUID | None:
        """The tenant a live token belongs to, or None."""
        row = await self.lookup(token)
        return row.tenant_id if row else None

    async def list(self, tenant_id: uuid.UUID) -> list[ApiToken]:
        return list(
            await self.session.scalars(
                select(ApiToken).where(ApiToken.tenant_id == tenant_id).order_by(ApiToken.created_at.desc())
            )
        )

    async def revoke(self, tenant_id: uuid.UUID, token_id: uuid.UUID) -> None:
        result = await self.session.execute(
            update(ApiToken)
            .where(ApiToken.tenant_id == tenant_id, ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=self.clock())
        )
        if result.rowcount == 0:
            raise NotFound("No such live API token.")
        TRUSTED.forget(token_id)
        LIMITER.forget(token_id)
