"""Bearer-token authentication for the JSON API, scoped to the tenant in the URL, with the
token's scope and rate limit.

A guard checks the token: Litestar runs guards before it reads or parses the request body,
so a caller without a valid token (or over its limit, or outside its scope) never makes the
server read (or decode) what it sent. Handlers get the caller as the `caller` dependency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers import BaseRouteHandler

from app.db import unit_of_work, writing
from app.domain.errors import DomainError
from app.domain.tokens.limits import LIMITER, Admission
from app.domain.tokens.scopes import TokenScope
from app.domain.tokens.service import TokenIdentity, TokenService
from app.web.api.rate_headers import remember_admission

BEARER_SCHEME = "BearerToken"
# A handler's `opt` entry naming the scope it needs beyond its method's (rules, webhooks: admin).
NEEDS_SCOPE = "needs_scope"
READING_METHODS = frozenset({"GET", "HEAD"})
_CALLER = "leadheat_api_caller"


class ScopeTooNarrow(DomainError):
    status_code = 403


class TooManyRequests(DomainError):
    status_code = 429


@dataclass(frozen=True, slots=True)
class ApiCaller:
    tenant_id: uuid.UUID
    token_id: uuid.UUID
    token_name: str

    @property
    def audit_name(self) -> str:
        return f"api token '{self.token_name}' ({self.token_id})"


def needed_scope(method: str, handler: BaseRouteHandler) -> TokenScope:
    """GET needs `read`, anything else `write`, unless the handler asks for more."""
    needed = TokenScope.READ if method in READING_METHODS else TokenScope.WRITE
    extra = handler.opt.get(NEEDS_SCOPE)
    return TokenScope(extra) if extra and TokenScope(extra).rank > needed.rank else needed


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The guard: 401 without a live token; 404 when the token belongs to another tenant (nothing
    leaks); 429 beyond the token's rate limit; 403 when its scope does not cover the call."""
    scheme, _sep, secret = connection.headers.get("authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise NotAuthorizedException(
            "Send the agency's API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="leadheat"'},
        )
    tenant_id = connection.path_params.get("tenant_id")
    identity = TokenService.trusted(secret)
    admission = None
    if identity is not None and identity.tenant_id == tenant_id:
        admission = LIMITER.admit_locally(
            identity.token_id, identity.limits, connection.app.state.clock().timestamp()
        )
    if admission is None:
        identity, admission = await _look_up_and_admit(connection, secret, tenant_id)
    remember_admission(connection, admission)
    if not admission.allowed:
        raise TooManyRequests(
            f"This API token is over its rate limit of {identity.limits.per_second} requests a second "
            f"(bursts of {identity.limits.burst}); retry in {admission.retry_after} s."
        )
    needed = needed_scope(connection.scope["method"], handler)
    if not identity.scope.covers(needed):
        raise ScopeTooNarrow(
            f"This API token's scope is '{identity.scope}'; this call needs the '{needed}' scope.", "scope"
        )
    connection.scope["state"][_CALLER] = ApiCaller(identity.tenant_id, identity.token_id, identity.name)


def provide_caller(request: Request[Any, Any, Any]) -> ApiCaller:
    """The caller the guard authenticated."""
    return request.scope["state"][_CALLER]


async def _look_up_and_admit(
    connection: ASGIConnection[Any, Any, Any, Any], secret: str, tenant_id: uuid.UUID | None
) -> tuple[TokenIdentity, Admission]:
    """The token's lookup and a refill of its rate limit, in a short unit of work of their own:
    it ends before the request's begins, so the request's transaction never waits on it."""
    state = connection.app.state
    with writing():
        async with unit_of_work(state.db_config.get_session) as session:
            tokens = TokenService(session, state.clock)
            identity = await tokens.identify(secret)
            if identity is None:
                raise NotAuthorizedException(
                    "This API token is not valid or was revoked.",
                    headers={"WWW-Authenticate": 'Bearer realm="leadheat", error="invalid_token"'},
                )
            if identity.tenant_id != tenant_id:
                raise NotFoundException("No such agency.")
            return identity, await tokens.admit(identity)
