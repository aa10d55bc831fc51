"""Log lines of a request: its id (taken from a plain X-Request-ID or made up, and answered),
the agency and lead its path names, as JSON fields."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from app.logs import JsonFormatter, RequestContextFilter, request_context_middleware

log = logging.getLogger("leadheat.test_logs")


@get("/api/tenants/{tenant_id:uuid}/leads/{lead_id:uuid}")
async def lead_page() -> str:
    log.info("reading a lead")
    log.warning("explicit ids win", extra={"lead_id": "another"})
    return "ok"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield stream
    log.removeHandler(handler)


def test_request_lines_carry_the_request_tenant_and_lead(lines: io.StringIO):
    tenant, lead = uuid.uuid4(), uuid.uuid4()
    with TestClient(Litestar([lead_page], middleware=[request_context_middleware()])) as client:
        given = client.get(f"/api/tenants/{tenant}/leads/{lead}", headers={"X-Request-ID": "crm-7"})
        made_up = client.get(f"/api/tenants/{tenant}/leads/{lead}", headers={"X-Request-ID": "bad id\n"})
    assert given.headers["x-request-id"] == "crm-7"
    assert made_up.headers["x-request-id"] != "bad id\n" and len(made_up.headers["x-request-id"]) == 32
    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert [r["request_id"] for r in records] == ["crm-7", "crm-7", *[made_up.headers["x-request-id"]] * 2]
    first, explicit = records[0], records[1]
    assert first["message"] == "reading a lead" and first["level"] == "INFO"
    assert (first["tenant_id"], first["lead_id"]) == (str(tenant), str(lead))
    assert explicit["lead_id"] == "another"
    log.info("outside any request")
    assert "request_id" not in json.loads(lines.getvalue().splitlines()[-1])
