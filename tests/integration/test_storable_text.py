"""Text PostgreSQL cannot store (U+0000) is refused with a clear error on every backend alike."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import FrozenClock
from app.domain.errors import InvalidInput
from app.domain.leads.bulk import BulkIntake
from app.domain.leads.csv_import import import_csv
from app.domain.leads.models import Lead, LeadEvent
from app.domain.leads.service import LeadService
from app.domain.tenants.service import NewTenant


async def test_nul_characters_are_refused_not_crashing(
    session: AsyncSession, clock: FrozenClock, tenant: NewTenant
):
    t = tenant.tenant.id
    leads = LeadService(session, clock)
    with pytest.raises(InvalidInput) as err:
        await leads.create(t, {"name": "a\x00b"})
    assert err.value.field == "name"
    lead_id = (await leads.create(t, {"name": "Fine"})).lead.id
    with pytest.raises(InvalidInput) as err:
        await leads.record(t, lead_id, "message", payload={"text": "hi\x00"})
    assert err.value.field == "payload"
    with pytest.raises(InvalidInput) as err:
        await leads.record(t, lead_id, "message", idempotency_key="k\x00")
    assert err.value.field == "idempotency_key"
    assert await leads.list(t, query="\x00Fi") != []

    result = await BulkIntake(session, clock).record_many(
        t,
        [
            {"lead_id": str(lead_id), "type": "message", "payload": {"\x00": 1}},
            {"lead_id": str(lead_id), "type": "message"},
        ],
    )
    assert (result.accepted, [r.field for r in result.rejected]) == (1, ["payload"])

    imported = await import_csv(leads, t, b"name\nok\n")
    assert imported.created == 1
    with pytest.raises(InvalidInput):
        await import_csv(leads, t, b"name\nbad\x00row\n")

    assert await session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 2
    messages = await session.scalar(
        sa.select(sa.func.count()).select_from(LeadEvent).where(LeadEvent.type == "message")
    )
    assert messages == 1
