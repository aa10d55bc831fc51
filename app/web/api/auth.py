"""Bearer-token authentication for the JSON API, scoped to the tenant in the URL.

A guard checks the token: Litestar runs guards before it reads or parses the request body,
so a caller without a valid token never makes the server read (or decode) what it sent.
The handlers get the authenticated caller as the `caller` dependency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers import BaseRouteHandler

from app.domain.tokens.service import TokenService

BEARER_SCHEME = "BearerToken"
_CALLER = "leadheat_api_caller"


@dataclass(frozen=True, slots=True)
class ApiCaller:
    tenant_id: uuid.UUID
    token_id: uuid.UUID
    token_name: str

    @property
    def audit_name(self) -> str:
        return f"api token '{self.token_name}' ({self.token_id})"


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The guard: 401 without a live token; 404 when the token belongs to another tenant (nothing leaks)."""
    scheme, _sep, secret = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthorizedException(
            "Send the agency's API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="leadheat"'},
        )
    # The request's own session (the unit of work's), as the handler's `db_session` gets it.
    db_session = connection.app.state.db_config.provide_session(connection.app.state, connection.scope)
    token = await TokenService(db_session).identify(secret.strip())
    if token is None:
        raise NotAuthorizedException(
            "This API token is not valid or was revoked.",
            headers={"WWW-Authenticate": 'Bearer realm="leadheat", error="invalid_token"'},
        )
    if token.tenant_id != connection.path_params.get("tenant_id"):
        raise NotFoundException("No such agency.")
    connection.scope["state"][_CALLER] = ApiCaller(token.tenant_id, token.token_id, token.name)


def provide_caller(request: Request[Any, Any, Any]) -> ApiCaller:
    """The caller the guard authenticated."""
    return request.scope["state"][_CALLER]
