"""Dashboard login sessions, stored server-side in the database (the cookie holds only an id)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from advanced_alchemy.extensions.litestar.session import SessionModelMixin
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent


class WebSession(SessionModelMixin):
    __tablename__ = "web_session"


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
