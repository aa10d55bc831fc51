"""Agents logging in to the dashboard."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.agents.models import Agent
from app.domain.agents.passwords import hash_now, hash_password, verify_password
from app.domain.enums import Role
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.text import check_text

# Verifying against this when the email is unknown keeps the answer time the same either way.
_DUMMY_HASH = hash_now("not a real password, only for timing")
# Whatever the reason (taken here or in another agency), one answer: which emails exist
# elsewhere is none of an admin's business.
EMAIL_UNAVAILABLE = "This email cannot be used for a new agent. Check it, or use another address."


async def authenticate(session: AsyncSession, email: str, password: str) -> Agent | None:
    agent = await session.scalar(sa.select(Agent).where(Agent.email == email.strip().lower()))
    if agent is None or not agent.is_active:
        await verify_password(_DUMMY_HASH, password)
        return None
    return agent if await verify_password(agent.password_hash, password) else None


async def change_password(
    session: AsyncSession, agent_id: uuid.UUID, *, current: str, new: str, repeat: str
) -> None:
    """An agent's own new password; also ends the duty to replace one an admin chose."""
    agent = await session.get(Agent, agent_id)
    if agent is None or not agent.is_active:
        raise NotFound("No such agent.")
    if not await verify_password(agent.password_hash, current):
        raise InvalidInput("The current password is not right.", "current_password")
    if new != repeat:
        raise InvalidInput("The new password and its repetition differ.", "repeat_password")
    if new == current:
        raise InvalidInput("Choose a password different from the current one.", "new_password")
    agent.password_hash = await hash_password(new)
    agent.must_change_password = False
    await session.flush()


async def active_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent | None:
    agent = await session.get(Agent, agent_id)
    return agent if agent is not None and agent.is_active else None


async def list_agents(session: AsyncSession, tenant_id: uuid.UUID) -> list[Agent]:
    return list(
        await session.scalars(sa.select(Agent).where(Agent.tenant_id == tenant_id).order_by(Agent.email))
    )


async def invite(
    session: AsyncSession, tenant_id: uuid.UUID, *, email: str, name: str, role: str, password: str
) -> Agent:
    """A new agent of this agency, who logs in with the password the admin hands over and
    then must choose their own."""
    email = check_text("email", email).strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise InvalidInput(f"'{email[:60]}' is not an email address.", "email")
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput("role must be admin or agent.", "role") from None
    if await session.scalar(sa.select(Agent.id).where(Agent.email == email)):
        raise Conflict(EMAIL_UNAVAILABLE, "email")
    agent = Agent(
        tenant_id=tenant_id,
        email=email,
        name=check_text("name", name).strip()[:200],
        role=role_value,
        password_hash=await hash_password(password),
        must_change_password=True,
    )
    try:
        async with session.begin_nested():  # the same email invited twice at once: one wins
            session.add(agent)
            await session.flush()
    except IntegrityError:
        raise Conflict(EMAIL_UNAVAILABLE, "email") from None
    return agent


async def set_active(
    session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, active: bool, *, by: uuid.UUID
) -> None:
    if agent_id == by and not active:
        raise InvalidInput("You cannot deactivate yourself.", "agent")
    result = await session.execute(
        sa.update(Agent).where(Agent.tenant_id == tenant_id, Agent.id == agent_id).values(is_active=active)
    )
    if result.rowcount == 0:
        raise NotFound("No such agent.")


async def set_role(
    session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, role: str, *, by: uuid.UUID
) -> None:
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput("role must be admin or agent.", "role") from None
    if agent_id == by and role_value is not Role.ADMIN:
        raise InvalidInput("You cannot take away your own admin role.", "role")
    result = await session.execute(
        sa.update(Agent).where(Agent.tenant_id == tenant_id, Agent.id == agent_id).values(role=role_value)
    )
    if result.rowcount == 0:
        raise NotFound("No such agent.")
