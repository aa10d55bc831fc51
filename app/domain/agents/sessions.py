"""Dashboard login sessions, stored server-side in the database (the cookie holds only an id).

A row exists only for a logged-in agent: it is written at login under a fresh random id and
deleted at logout. It ends at `expires_at`: the idle deadline, renewed while the agent is
active, but never past the absolute deadline counted from the login.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
import sqlalchemy as sa
from advanced_alchemy.extensions.litestar.session import SessionModelMixin
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent


class WebSession(SessionModelMixin):
    __tablename__ = "web_session"


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta
    # A live session's idle deadline is pushed back at most this often (one write per step).
    renew_step: timedelta = timedelta(minutes=5)


class _Stored(msgspec.Struct):
    logged_in_at: datetime
    data: dict[str, str]


@dataclass(frozen=True)
class LoginSession:
    session_id: str
    logged_in_at: datetime
    expires_at: datetime
    data: dict[str, str]


async def find_login_session(session: AsyncSession, session_id: str, now: datetime) -> LoginSession | None:
    """The live login session with this id; None for an id we never issued or one that ended."""
    row = await session.scalar(
        sa.select(WebSession).where(WebSession.session_id == session_id, WebSession.expires_at > now)
    )
    if row is None:
        return None
    try:
        stored = msgspec.json.decode(row.data, type=_Stored)
    except msgspec.DecodeError:  # a row from before sessions were stored this way: no session
        return None
    return LoginSession(row.session_id, stored.logged_in_at, row.expires_at, stored.data)


def _deadline(lifetimes: Lifetimes, logged_in_at: datetime, now: datetime) -> datetime:
    return min(now + lifetimes.idle, logged_in_at + lifetimes.absolute)


async def start_login_session(
    session: AsyncSession, session_id: str, data: dict[str, str], lifetimes: Lifetimes, now: datetime
) -> None:
    stored = _Stored(logged_in_at=now, data=data)
    session.add(
        WebSession(
            session_id=session_id, data=msgspec.json.encode(stored), expires_at=_deadline(lifetimes, now, now)
        )
    )
    await session.flush()


async def keep_login_session(
    session: AsyncSession, current: LoginSession, data: dict[str, str], lifetimes: Lifetimes, now: datetime
) -> None:
    """Store changed data and push the idle deadline back (at most once per renew step)."""
    deadline = _deadline(lifetimes, current.logged_in_at, now)
    if data == current.data and deadline - current.expires_at < lifetimes.renew_step:
        return
    stored = _Stored(logged_in_at=current.logged_in_at, data=data)
    await session.execute(
        sa.update(WebSession)
        .where(WebSession.session_id == current.session_id)
        .values(data=msgspec.json.encode(stored), expires_at=deadline)
    )


async def end_login_session(session: AsyncSession, session_id: str) -> None:
    await session.execute(sa.delete(WebSession).where(WebSession.session_id == session_id))


async def purge_expired_sessions(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(sa.delete(WebSession).where(WebSession.expires_at <= now))
    return result.rowcount or 0


async def live_streams_still_allowed(
    session: AsyncSession, streams: Sequence[tuple[uuid.UUID, str | None]], now: datetime
) -> set[tuple[uuid.UUID, str | None]]:
    """Which (agent, login session) pairs may keep a live stream open: the agent is active and
    the login session exists and has not expired. Two indexed reads for all open streams."""
    agent_ids = {agent_id for agent_id, _ in streams}
    session_ids = {session_id for _, session_id in streams if session_id}
    active = set(
        await session.scalars(sa.select(Agent.id).where(Agent.id.in_(agent_ids), Agent.is_active.is_(True)))
    )
    live = (
        set(
            await session.scalars(
                sa.select(WebSession.session_id).where(
                    WebSession.session_id.in_(session_ids), WebSession.expires_at > now
                )
            )
        )
        if session_ids
        else set()
    )
    return {(a, s) for a, s in streams if a in active and s in live}
