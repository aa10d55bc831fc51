"""Domain errors to HTTP, in one place: JSON a person can act on, never a stack trace."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from app.db import is_database_gone
from app.domain.errors import DomainError

log = logging.getLogger("leadheat.web")


def _body(message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": message, "field": field}


def domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    return Response(_body(exc.message, exc.field), status_code=exc.status_code, media_type=MediaType.JSON)


# msgspec names the offending field inside its message: "... - at `$.occurred_at`",
# "Object contains unknown field `lead_score`", "Object missing required field `type`".
_FIELD_IN_MESSAGE = re.compile(r"`\$\.([A-Za-z_]\w*)|field `([A-Za-z_]\w*)`")


def field_of(message: str, key: str | None) -> str | None:
    match = _FIELD_IN_MESSAGE.search(message)
    if match:
        return match.group(1) or match.group(2)
    if key in (None, "data"):
        return None
    return key.removesuffix("_")  # `from_` in Python is the query parameter `from`


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    message, field = exc.detail, None
    extra = exc.extra if isinstance(exc.extra, list) else []
    if extra and isinstance(extra[0], dict):
        message = str(extra[0].get("message", exc.detail))
        field = field_of(message, extra[0].get("key"))
        if field and not message.startswith(field):
            message = f"{field}: {message}"
    return Response(
        _body(message, field), status_code=HTTP_422_UNPROCESSABLE_ENTITY, media_type=MediaType.JSON
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    message = exc.detail
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        limit = (
            request.route_handler.resolve_request_max_body_size()
            if "route_handler" in request.scope
            else None
        )
        size = f" of {limit // (1024 * 1024)} MiB" if limit else ""
        message = f"The request body is larger than the limit{size}; send less at once."
    return Response(
        _body(message), status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers
    )


# The database went away (a restart, a failover, a network cut) or refuses connections for a
# moment: the client may simply retry, so 503, never 500. The pool replaces dead connections
# (pre-ping), so the app recovers by itself.
DATABASE_GONE = "The database is unavailable for a moment; nothing was saved. Please try again."
TOO_DEEP = "The JSON is nested too deeply (objects or arrays inside each other); send a flatter body."


def too_deep(request: Request[Any, Any, Any], _: RecursionError) -> Response[dict[str, Any]]:
    """msgspec (under Litestar's body decoding) refuses input nested past the recursion limit:
    the input's fault, not ours."""
    log.warning("Too deeply nested input on %s %s", request.method, request.url.path)
    return Response(_body(TOO_DEEP), status_code=HTTP_400_BAD_REQUEST, media_type=MediaType.JSON)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if is_database_gone(exc):
        log.warning("Database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return Response(
            _body(DATABASE_GONE),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            media_type=MediaType.JSON,
            headers={"Retry-After": "1"},
        )
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        _body("Something went wrong on our side; it has been logged. Please try again."),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    RecursionError: too_deep,
    Exception: unexpected_error,
}
