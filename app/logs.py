"""What every log line carries: the request it belongs to (a request id, and the agency and lead
when the path names them), and JSON lines for log collectors when LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.base import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# Fields a line may carry besides its message; set per request, or per call with `extra=`.
CONTEXT_FIELDS = ("request_id", "tenant_id", "lead_id")
_CONTEXT: ContextVar[dict[str, str]] = ContextVar("leadheat_log_context", default={})  # noqa: B039
# A caller's own request id is kept when it is short and plain (it ends up in every line).
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_UUID = "[0-9a-fA-F-]{36}"
_IDS_IN_PATH = re.compile(rf"/tenants/(?P<tenant_id>{_UUID})(?:/leads/(?P<lead_id>{_UUID}))?")


class RequestContextFilter(logging.Filter):
    """Puts the request's fields on each record, in the thread that logs it (a queue handler
    formats later, elsewhere, where the request's context is gone)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _CONTEXT.get().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context fields, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def logging_formatters(log_format: str) -> dict[str, dict[str, Any]]:
    if log_format == "json":
        return {"standard": {"()": JsonFormatter}}
    return {"standard": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}}


def request_context_middleware() -> DefineMiddleware:
    return DefineMiddleware(_request_context)


def _request_context(app: ASGIApp) -> ASGIApp:
    """Gives each request an id (the caller's X-Request-ID when it is plain, else a new one),
    logs under it, and answers it in X-Request-ID."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _CLIENT_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        context = {"request_id": request_id}
        ids = _IDS_IN_PATH.search(scope["path"])
        if ids:
            context.update({k: v for k, v in ids.groupdict().items() if v})
        token = _CONTEXT.set(context)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            _CONTEXT.reset(token)

    return middleware
