"""The SQL form of the rule equals the Python form, on random leads and random rule sets."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.clock import FrozenClock
from app.domain.leads.models import Lead
from app.domain.scoring import DEFAULT_RULES, LeadState, RecencyTier, RuleSet
from app.domain.tenants.service import NewTenant
from tests.conftest import T0

small = st.integers(min_value=0, max_value=60)
points = st.integers(min_value=0, max_value=40)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    ages = sorted(draw(st.sets(st.integers(min_value=1, max_value=10 * 24 * 3600), min_size=1, max_size=5)))
    thresholds = sorted(draw(st.sets(st.integers(min_value=0, max_value=100), min_size=3, max_size=3)))
    return RuleSet(
        qr_scan_points=draw(points),
        qr_scan_cap=draw(points),
        catalog_view_points=draw(points),
        catalog_view_cap=draw(points),
        message_points=draw(points),
        message_cap=draw(points),
        voice_bonus=draw(points),
        phone_points=draw(points),
        budget_points=draw(points),
        transaction_type_points=draw(points),
        property_type_points=draw(points),
        location_points=draw(points),
        payment_method_points=draw(points),
        recency_tiers=tuple(RecencyTier(age, draw(points)) for age in ages),
        warm_threshold=thresholds[0],
        hot_threshold=thresholds[1],
        burning_threshold=thresholds[2],
    )


@st.composite
def lead_rows(draw: st.DrawFn) -> dict:
    messages = draw(small)
    age = draw(st.none() | st.integers(min_value=-300, max_value=12 * 24 * 3600))
    return {
        "qr_scan_count": draw(small),
        "catalog_views": draw(small),
        "messages_count": messages,
        "voice_messages_count": draw(st.integers(min_value=0, max_value=messages)),
        "phone": draw(st.sampled_from([None, "", "+971501234567"])),
        "budget_min": draw(st.sampled_from([None, 0, 500_000])),
        "budget_max": draw(st.sampled_from([None, 0, 2_500_000])),
        "transaction_type": draw(st.sampled_from([None, "buy", "rent"])),
        "property_type": draw(st.sampled_from([None, "villa", "studio"])),
        "location": draw(st.sampled_from([None, "", "   ", "Dubai Marina"])),
        "payment_method": draw(st.sampled_from([None, "cash"])),
        # Sub-second ages too: the SQL must agree at the microsecond.
        "last_interaction_at": None if age is None else T0 - timedelta(seconds=age, microseconds=draw(small)),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rules=st.one_of(st.just(DEFAULT_RULES), rule_sets()), rows=st.lists(lead_rows(), min_size=1, max_size=12)
)
async def test_sql_rescore_equals_python(
    session: AsyncSession, tenant: NewTenant, clock: FrozenClock, rules: RuleSet, rows: list[dict]
) -> None:
    table = Lead.__table__
    tenant_id = tenant.tenant.id
    batch = uuid.uuid4().hex
    await session.execute(
        sa.insert(table),
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "name": batch,
                "created_at": T0,
                "updated_at": T0,
                **row,
            }
            for row in rows
        ],
    )
    await session.execute(sa.update(table).where(table.c.name == batch).values(**rules.sql_values(table, T0)))
    stored = (await session.execute(sa.select(table).where(table.c.name == batch))).mappings().all()
    await session.execute(sa.delete(table).where(table.c.name == batch))
    await session.commit()

    for row in stored:
        expected = rules.score(LeadState.of(row), T0)
        assert row["lead_score"] == expected.total, row
        assert row["temperature"].value == expected.temperature.value, row
        boundary = row["score_valid_until"]
        assert boundary == expected.next_boundary, row


@pytest.mark.postgres_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rules=st.one_of(st.just(DEFAULT_RULES), rule_sets()), rows=st.lists(lead_rows(), min_size=1, max_size=12)
)
async def test_sql_breakdown_equals_python(
    session: AsyncSession, tenant: NewTenant, rules: RuleSet, rows: list[dict]
) -> None:
    """The breakdown an interaction stores on PostgreSQL (built in SQL, with `now` a parameter of
    the statement) is the one `RuleSet.score()` gives, line for line, text for text."""
    table = Lead.__table__
    batch = uuid.uuid4().hex
    await session.execute(
        sa.insert(table),
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant.tenant.id,
                "name": batch,
                "created_at": T0,
                "updated_at": T0,
            }
            | row
            for row in rows
        ],
    )
    now = sa.literal(T0, table.c.created_at.type)  # a parameter, as in the interaction's statement
    found = (
        (
            await session.execute(
                sa.select(table, rules.sql_breakdown(table, now).label("breakdown")).where(
                    table.c.name == batch
                )
            )
        )
        .mappings()
        .all()
    )
    await session.execute(sa.delete(table).where(table.c.name == batch))
    await session.commit()
    for row in found:
        assert row["breakdown"] == rules.score(LeadState.of(row), T0).as_dict(), row
