"""Schemathesis against the app's own OpenAPI schema: no 5xx, no response that breaks the schema.

Runs in-process (ASGI) on a fresh SQLite database with a real tenant, token and leads, so
requests reach the handlers instead of stopping at authentication.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.db import create_engine
from app.domain.base import Base
from app.domain.clock import system_clock
from app.domain.leads.service import LeadService
from app.domain.tenants.service import TenantService
from app.main import create_app

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
_DB = Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"leadheat-fuzz-{os.getpid()}.db"
DATABASE_URL = f"sqlite+aiosqlite:///{_DB}"


async def _prepare() -> tuple[str, str, list[str]]:
    _DB.unlink(missing_ok=True)
    engine = create_engine(DATABASE_URL)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.db import unit_of_work

    async with unit_of_work(async_sessionmaker(engine, expire_on_commit=False)) as session:
        created = await TenantService(session).create(
            name="Fuzz Realty", admin_email="fuzz@example.com", admin_password="fuzzing-password"
        )
        tenant_id = created.tenant.id
        leads = LeadService(session, system_clock)
        ids = []
        for i in range(3):
            scored = await leads.create(tenant_id, {"name": f"Lead {i}", "external_id": f"ext-{i}"})
            ids.append(str(scored.lead.id))
    await engine.dispose()
    return str(tenant_id), created.api_token, ids


TENANT_ID, TOKEN, LEAD_IDS = asyncio.run(_prepare())
APP = create_app(Settings(database_url=DATABASE_URL, sweep_interval_seconds=60))
# The operations probes answer about the deployment, not the API; tests/system covers them.
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP).include(path_regex="^/api/")


@pytest.fixture(autouse=True, scope="module")
def _cleanup():
    yield
    _DB.unlink(missing_ok=True)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_breaks_its_schema(case):
    if case.path_parameters is not None and "tenant_id" in case.path_parameters:
        case.path_parameters["tenant_id"] = TENANT_ID
        if "lead_id" in case.path_parameters and hash(str(case.path_parameters["lead_id"])) % 2:
            case.path_parameters["lead_id"] = LEAD_IDS[0]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
