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
from app.domain.leads.queries import Cursor
from app.domain.scoring import MAX_SCORE
from app.domain.text import check_time


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
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= MAX_SCORE:
            raise ValueError("score out of range")
        return Cursor(
            check_time("cursor", datetime.fromisoformat(started)),
            score,
            check_time("cursor", datetime.fromisoformat(created)),
            uuid.UUID(lead_id),
        )
    except (ValueError, TypeError, InvalidInput, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not one this API gave out; start again without it and follow the Link header.",
            "cursor",
        ) from None


def next_link(request: Request, cursor: str) -> str:
    url = request.url.with_replacements(query="")
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    return f'<{url}?{urlencode(params)}>; rel="next"'
