"""Per-token rate limits: a token bucket in the token's row, shared by every app process.

Each process takes a small allowance from the bucket with one atomic UPDATE ... RETURNING and
spends it locally, so most requests cost no query: at most a tenth of the rate (5 of 50/s) is
taken at a time, and what a process has not spent within a second goes back into the bucket on
its next refill. The same UPDATE keeps `last_used_at`, at most once a minute per token.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.tokens.models import ApiToken

# A process keeps what it took from the bucket this long before giving the rest back.
ALLOWANCE_SECONDS = 1.0
# The share of the per-second rate one refill may take (so 10 refills a second at full rate).
ALLOWANCE_SHARE = 10
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TokenLimits:
    per_second: int
    burst: int


@dataclass(frozen=True, slots=True)
class Admission:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after: int = 0  # when refused: until one request is allowed

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


@dataclass(slots=True)
class _Allowance:
    tokens: float = 0.0  # taken from the bucket, not yet spent by this process
    bucket_left: float = 0.0  # what the bucket held after the last refill
    taken_at: float = -math.inf


class RateLimiter:
    """This process's allowances, by token id."""

    def __init__(self) -> None:
        self._allowances: dict[uuid.UUID, _Allowance] = {}

    def admit_locally(self, token_id: uuid.UUID, limits: TokenLimits, now: float) -> Admission | None:
        """An admission from this process's allowance, or None when the bucket must be asked."""
        allowance = self._allowances.get(token_id)
        if allowance is None or now - allowance.taken_at > ALLOWANCE_SECONDS or allowance.tokens < 1:
            return None
        allowance.tokens -= 1
        return _admitted(allowance, limits)

    async def admit(
        self, session: AsyncSession, token_id: uuid.UUID, limits: TokenLimits, now: datetime
    ) -> Admission:
        """Refill this process's allowance from the shared bucket, then spend one request."""
        seconds = now.timestamp()
        allowance = self._allowances.setdefault(token_id, _Allowance())
        give_back, allowance.tokens = allowance.tokens, 0.0
        want = max(1, min(limits.burst, limits.per_second) // ALLOWANCE_SHARE)
        row = (await session.execute(_take(token_id, limits, seconds, want, give_back, now))).first()
        if row is None:  # the token is gone; the caller's lookup refuses it
            return Admission(False, limits.burst, 0, 0, 1)
        left, granted = row
        allowance.tokens += granted
        allowance.bucket_left = left
        allowance.taken_at = seconds
        if allowance.tokens >= 1:
            allowance.tokens -= 1
            return _admitted(allowance, limits)
        missing = 1 - (left + allowance.tokens)
        wait = max(1, math.ceil(missing / limits.per_second))
        return Admission(False, limits.burst, 0, _until_full(0, limits), wait)

    def forget(self, token_id: uuid.UUID) -> None:
        self._allowances.pop(token_id, None)


def _admitted(allowance: _Allowance, limits: TokenLimits) -> Admission:
    remaining = max(0, math.floor(allowance.bucket_left + allowance.tokens))
    return Admission(True, limits.burst, remaining, _until_full(remaining, limits))


def _until_full(remaining: float, limits: TokenLimits) -> int:
    return max(0, math.ceil((limits.burst - remaining) / max(1, limits.per_second)))


def _take(
    token_id: uuid.UUID, limits: TokenLimits, seconds: float, want: int, give_back: float, now: datetime
) -> sa.Update:
    """One atomic refill: every SET reads the row as it was, so concurrent refills serialise."""
    table = ApiToken.__table__
    c = table.c
    at = sa.literal(seconds, sa.Float)
    last = sa.func.coalesce(c.bucket_at, at)
    elapsed = sa.case((at > last, at - last), else_=sa.literal(0.0, sa.Float))
    burst = sa.literal(float(limits.burst), sa.Float)
    refilled = (
        sa.func.coalesce(c.bucket_tokens, burst)
        + sa.literal(give_back, sa.Float)
        + elapsed * sa.literal(float(limits.per_second), sa.Float)
    )
    available = sa.case((refilled > burst, burst), else_=refilled)
    wanted = sa.literal(float(want), sa.Float)
    grant = sa.case(
        (available >= wanted, wanted), (available >= 1.0, available), else_=sa.literal(0.0, sa.Float)
    )
    stamp = sa.literal(now, DateTimeUTC(timezone=True))
    stale = sa.literal(now - LAST_USED_EVERY, DateTimeUTC(timezone=True))
    return (
        sa.update(table)
        .where(c.id == token_id, c.revoked_at.is_(None))
        .values(
            bucket_tokens=available - grant,
            bucket_grant=grant,
            bucket_at=sa.case((at > last, at), else_=last),
            last_used_at=sa.case(
                (sa.or_(c.last_used_at.is_(None), c.last_used_at < stale), stamp),
                else_=c.last_used_at,
            ),
        )
        .returning(c.bucket_tokens, c.bucket_grant)
    )


LIMITER = RateLimiter()
