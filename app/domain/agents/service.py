"""Agents logging in to the dashboard."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent
from app.domain.agents.passwords import hash_password, verify_password

# Verifying against this when the email is unknown keeps the answer time the same either way.
_DUMMY_HASH = hash_password("not a real password, only for timing")


async def authenticate(session: AsyncSession, email: str, password: str) -> Agent | None:
    agent = await session.scalar(sa.select(Agent).where(Agent.email == email.strip().lower()))
    if agent is None or not agent.is_active:
        verify_password(_DUMMY_HASH, password)
        return None
    return agent if verify_password(agent.password_hash, password) else None


async def active_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent | None:
    agent = await session.get(Agent, agent_id)
    return agent if agent is not None and agent.is_active else None
