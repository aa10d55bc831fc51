"""Bearer-token authentication for the JSON API, scoped to the tenant in the URL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.tokens.service import TokenService

BEARER_SCHEME = "BearerToken"


@dataclass(frozen=True, slots=True)
class ApiCaller:
    tenant_id: uuid.UUID
    token_id: uuid.UUID
    token_name: str

    @property
    def audit_name(self) -> str:
        return f"api token '{self.token_name}' ({self.token_id})"


async def provide_caller(
    request: Request, tenant_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]
) -> ApiCaller:
    """401 without a live token; 404 when the token belongs to another tenant (nothing leaks)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthorizedException(
            "Send the agency's API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="leadheat"'},
        )
    token = await TokenService(db_session).identify(secret.strip())
    if token is None:
        raise NotAuthorizedException(
            "This API token is not valid or was revoked.",
            headers={"WWW-Authenticate": 'Bearer realm="leadheat", error="invalid_token"'},
        )
    if token.tenant_id != tenant_id:
        raise NotFoundException("No such agency.")
    return ApiCaller(token.tenant_id, token.token_id, token.name)
