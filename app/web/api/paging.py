"""Opaque cursors for walking the lead list, and the `Link: rel="next"` header."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from urllib.parse import urlencode

from litestar import Request

from app.domain.errors import InvalidInput
from app.domain.leads.models import Lead
from app.domain.leads.service import Cursor


def encode_cursor(walk_started_at: datetime, last: Lead) -> str:
    raw = json.dumps(
        [walk_started_at.isoformat(), last.lead_score, last.created_at.isoformat(), str(last.id)],
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    try:
        padded = text + "=" * (-len(text) % 4)
        started, score, created, lead_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        cursor = Cursor(
            datetime.fromisoformat(started), int(score), datetime.fromisoformat(created), uuid.UUID(lead_id)
        )
        if cursor.walk_started_at.tzinfo is None or cursor.created_at.tzinfo is None:
            raise ValueError("naive time")
        return cursor
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not one this API gave out; start again without it and follow the Link header.",
            "cursor",
        ) from None


def next_link(request: Request, cursor: str) -> str:
    url = request.url.with_replacements(query="")
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    return f'<{url}?{urlencode(params)}>; rel="next"'
