"""Each agency's Telegram bot token: stored encrypted, never shown again, with its status."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.errors import InvalidInput, NotFound
from app.domain.tenants.models import Tenant

TOKEN_SHAPE = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{30,64}$")


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def encrypt_token(token: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(token.encode()).decode()


def decrypt_token(blob: str, secret_key: str) -> str | None:
    """None when the secret key changed since the token was saved (it must be set again)."""
    try:
        return _fernet(secret_key).decrypt(blob.encode()).decode()
    except InvalidToken:
        return None


@dataclass(frozen=True)
class BotCredentials:
    tenant_id: uuid.UUID
    token: str

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])


class BotTokenService:
    def __init__(self, session: AsyncSession, secret_key: str) -> None:
        self.session = session
        self.secret_key = secret_key

    async def set_token(self, tenant_id: uuid.UUID, token: str) -> None:
        token = token.strip()
        if not TOKEN_SHAPE.match(token):
            raise InvalidInput("That is not a bot token; BotFather gives one like 123456789:AA...", "token")
        await self._update(
            tenant_id, bot_token_encrypted=encrypt_token(token, self.secret_key), bot_status="pending"
        )

    async def remove_token(self, tenant_id: uuid.UUID) -> None:
        await self._update(tenant_id, bot_token_encrypted=None, bot_status="none")

    async def mark(self, tenant_id: uuid.UUID, status: str, username: str | None = None) -> None:
        values: dict[str, object] = {"bot_status": status}
        if username:
            values["bot_username"] = username
        await self._update(tenant_id, **values)

    async def all_tokens(self) -> list[BotCredentials]:
        rows = await self.session.execute(
            sa.select(Tenant.id, Tenant.bot_token_encrypted).where(Tenant.bot_token_encrypted.is_not(None))
        )
        found = []
        for tenant_id, blob in rows.all():
            token = decrypt_token(blob, self.secret_key)
            if token is not None:
                found.append(BotCredentials(tenant_id, token))
        return found

    async def _update(self, tenant_id: uuid.UUID, **values: object) -> None:
        result = await self.session.execute(sa.update(Tenant).where(Tenant.id == tenant_id).values(**values))
        if result.rowcount == 0:
            raise NotFound("No such agency.")
