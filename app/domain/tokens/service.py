"""Create, verify and revoke a tenant's API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import Clock, system_clock
from app.domain.errors import NotFound
from app.domain.tokens.models import ApiToken

TOKEN_PREFIX = "lh_"


def digest(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no KDF needed) and
    # lets a lookup be one indexed equality.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    id: uuid.UUID
    token: str  # the secret, shown this once


class TokenService:
    def __init__(self, session: AsyncSession, clock: Clock = system_clock) -> None:
        self.session = session
        self.clock = clock

    async def issue(self, tenant_id: uuid.UUID, name: str) -> IssuedToken:
        """Create a token in the caller's unit of work."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(tenant_id=tenant_id, name=name, prefix=secret[:10], token_hash=digest(secret))
        self.session.add(row)
        await self.session.flush()
        return IssuedToken(row.id, secret)

    async def lookup(self, token: str) -> ApiToken | None:
        """The live (not revoked) token with this secret, or None."""
        return await self.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
        )

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
