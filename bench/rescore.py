"""Re-scoring a whole tenant after a rule change, against one bare UPDATE of the same rows.

    .venv/bin/python -m bench.rescore [--leads 1000000]

Seeds one tenant with N realistic leads on PostgreSQL (set-based: one INSERT ... SELECT
generate_series with random values drawn like bench/common.py's, then one set-based scoring
UPDATE; smaller runs can use bench/common.seed_tenant with --seed-through-service), then,
each after `VACUUM ANALYZE lead` and a CHECKPOINT, measures in the same run:
- the bare UPDATE: `UPDATE lead SET updated_at = updated_at WHERE tenant_id = $1` (every row
  gets a new version, as in any full-table update), committed;
- the app's re-score after a rule change (hot_threshold 50 -> 45), through the real service:
  `TenantService(session, clock, notify).save_rules(...)` then `session.commit()` (the caller
  ends the unit of work), with a notifier that counts what it
  is handed;
- the bare UPDATE again (the machine is noisy; both are reported).
It prints the seconds of each, the ratio re-score / bare UPDATE (target <= 1.5, against the
mean of the two bare runs), and the notifications: how many changes the notifier was handed
(target: one) and in how many calls.

With 1,000,000 leads a run takes ~11 min on the 2-core machine (seeding ~4 min, each bare
UPDATE 1-2.5 min, the re-score ~3 min); --leads 200000 takes ~2 min.

The service logs at INFO as the app does by default (`LOG_LEVEL=INFO`); the lines go through a
queue to a temporary file, as the app's queue listener sends them to its handler.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.handlers
import queue
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.db import create_engine
from app.domain.clock import system_clock
from app.domain.leads.models import Lead
from app.domain.scoring import DEFAULT_RULES
from app.domain.tenants.service import TenantService
from bench.common import AREAS, FIRST, LAST, fresh_database, machine, seed_tenant

LEAD = Lead.__table__


def _pick(values: Sequence[Any], r: str) -> str:
    """SQL choosing one of `values` (None for NULL) uniformly by the random column `r`."""

    def lit(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, int):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"

    return f"(ARRAY[{', '.join(lit(v) for v in values)}])[1 + floor({r} * {len(values)})::int]"


def _names(r_lang: str, r_first: str, r_last: str) -> str:
    langs = list(FIRST)
    cases = " ".join(
        f"WHEN {i} THEN {_pick(FIRST[lang], r_first)} || ' ' || {_pick(LAST[lang], r_last)}"
        for i, lang in enumerate(langs)
    )
    return f"CASE floor({r_lang} * {len(langs)})::int {cases} END"


def insert_leads_sql(count: int) -> str:
    """One INSERT ... SELECT of `count` leads for tenant :tenant, drawn as bench/common._lead_rows does."""
    langs = list(FIRST)
    return f"""
INSERT INTO lead (id, tenant_id, name, language, phone, external_id, budget_max, transaction_type,
    property_type, location, payment_method, status, notes, qr_scan_count, catalog_views,
    messages_count, voice_messages_count, last_interaction_at, lead_score, temperature,
    created_at, updated_at)
SELECT gen_random_uuid(), CAST(:tenant AS uuid), {_names("r_lang", "r_first", "r_last")},
    {_pick(langs, "r_lang")},
    CASE WHEN r_phone < 0.6 THEN '+9715' || {_pick(list("024568"), "r_op")}
        || (1000000 + floor(r_num * 9000000))::int ELSE NULL END,
    'crm-' || (g - 1),
    CASE WHEN tx = 'rent' THEN 120000 ELSE {_pick([None, 900_000, 2_500_000, 8_000_000], "r_budget")} END,
    tx,
    {_pick([None, "apartment", "villa", "townhouse", "studio"], "r_prop")},
    {_pick([None, *AREAS], "r_loc")},
    {_pick([None, "cash", "mortgage", "installments"], "r_pay")},
    'new', '', {_pick([0, 0, 1, 2], "r_qr")}, {_pick([0, 1, 2, 3], "r_cat")}, messages,
    CASE WHEN messages > 0 AND r_voice < 0.2 THEN 1 ELSE 0 END,
    CASE WHEN r_inter < 0.85
        THEN CAST(:now AS timestamptz) - make_interval(secs => floor(r_last_at * 14 * 86400)) END,
    0, 'cold', CAST(:now AS timestamptz) - make_interval(secs => floor(r_created * 60 * 86400)),
    CAST(:now AS timestamptz)
FROM (
    SELECT g, r_lang, r_first, r_last, r_phone, r_op, r_num, r_budget, r_prop, r_loc, r_pay, r_qr,
        r_cat, r_voice, r_inter, r_last_at, r_created,
        {_pick(["buy", "buy", "rent", None], "r_tx")} AS tx,
        {_pick([0, 0, 1, 2, 3, 5, 8, 13], "r_msg")} AS messages
    FROM (
        SELECT g, random() AS r_lang, random() AS r_first, random() AS r_last, random() AS r_phone,
            random() AS r_op, random() AS r_num, random() AS r_budget, random() AS r_prop,
            random() AS r_loc, random() AS r_pay, random() AS r_qr, random() AS r_cat,
            random() AS r_voice, random() AS r_inter, random() AS r_last_at, random() AS r_created,
            random() AS r_tx, random() AS r_msg
        FROM generate_series(1, {int(count)}) AS g
        OFFSET 0
    ) AS draws
    OFFSET 0
) AS drawn
"""


async def seed_fast(url: str, leads: int) -> uuid.UUID:
    """A tenant made by the real service, then its leads set-based: insert, score, vacuum."""
    engine = create_engine(url, pool_size=2)
    now = datetime.now(UTC)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            created = await TenantService(session).create(
                name="Bench Rescore Realty",
                admin_email=f"admin-{uuid.uuid4().hex[:8]}@bench.example",
                admin_password="benchmark-pw",
            )
            await session.commit()  # services never commit: the caller ends the unit of work
        tenant_id = created.tenant.id
        async with engine.begin() as conn:
            await conn.execute(sa.text(insert_leads_sql(leads)), {"tenant": tenant_id, "now": now})
        async with engine.begin() as conn:  # the stored scores, as the app's set-based re-score sets them
            await conn.execute(
                sa.update(LEAD)
                .where(LEAD.c.tenant_id == tenant_id)
                .values(**DEFAULT_RULES.sql_values(LEAD, now))
            )
        return tenant_id
    finally:
        await engine.dispose()


async def seed_service(url: str, leads: int) -> uuid.UUID:
    tenant_id, _, _ = await seed_tenant(url, "Bench Rescore Realty", leads)
    return tenant_id


async def vacuum(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(sa.text("VACUUM ANALYZE lead"))
        # Each measurement starts right after a checkpoint: the same full-page writes for all.
        await autocommit.execute(sa.text("CHECKPOINT"))


async def bare_update(engine: AsyncEngine, tenant_id: uuid.UUID) -> tuple[float, int]:
    await vacuum(engine)
    started = time.perf_counter()
    async with engine.begin() as conn:
        result = await conn.execute(
            sa.text("UPDATE lead SET updated_at = updated_at WHERE tenant_id = :tenant"),
            {"tenant": tenant_id},
        )
    return time.perf_counter() - started, result.rowcount


class CountingNotifier:
    def __init__(self) -> None:
        self.calls = 0
        self.changes = 0

    def __call__(self, changes: Sequence[Any]) -> None:
        self.calls += 1
        self.changes += len(changes)


async def rescore(engine: AsyncEngine, tenant_id: uuid.UUID, notify: CountingNotifier) -> tuple[float, int]:
    await vacuum(engine)
    rules = {**DEFAULT_RULES.to_dict(), "hot_threshold": 45}
    started = time.perf_counter()
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        _, rescored = await TenantService(session, system_clock, notify).save_rules(
            tenant_id, rules, changed_by="bench"
        )
        await session.commit()  # services never commit: the caller ends the unit of work
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0)  # a notification scheduled on commit, if any, gets its turn
    return elapsed, rescored


async def temperatures(engine: AsyncEngine, tenant_id: uuid.UUID) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(LEAD.c.temperature, sa.func.count())
            .where(LEAD.c.tenant_id == tenant_id)
            .group_by(LEAD.c.temperature)
        )
        return {str(getattr(t, "value", t)): n for t, n in rows.all()}


@contextlib.contextmanager
def service_log(level: str) -> Iterator[Path]:
    """The `leadheat` loggers at `level`, through a queue to a file, as the app sets them up."""
    path = Path(tempfile.mkstemp(suffix=".log", prefix="bench-rescore-")[1])
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(levelname)s - %(asctime)s - %(name)s - %(message)s"))
    q: queue.Queue[logging.LogRecord] = queue.Queue()
    listener = logging.handlers.QueueListener(q, handler)
    logger = logging.getLogger("leadheat")
    logger.setLevel(level)
    logger.addHandler(logging.handlers.QueueHandler(q))
    logger.propagate = False
    listener.start()
    try:
        yield path
    finally:
        listener.stop()
        handler.close()


async def measure(url: str, tenant_id: uuid.UUID) -> dict[str, Any]:
    engine = create_engine(url, pool_size=2)
    notify = CountingNotifier()
    try:
        before = await temperatures(engine, tenant_id)
        bare_1, rows_1 = await bare_update(engine, tenant_id)
        rescore_s, rescored = await rescore(engine, tenant_id, notify)
        after = await temperatures(engine, tenant_id)
        bare_2, rows_2 = await bare_update(engine, tenant_id)
    finally:
        await engine.dispose()
    assert rows_1 == rows_2, (rows_1, rows_2)
    return {
        "rows": rows_1,
        "bare": (bare_1, bare_2),
        "rescore": rescore_s,
        "rescored": rescored,
        "calls": notify.calls,
        "changes": notify.changes,
        "before": before,
        "after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument(
        "--seed-through-service",
        action="store_true",
        help="seed with bench/common.seed_tenant (slow for a million leads) instead of set-based SQL",
    )
    parser.add_argument("--log-level", default="INFO", help="the leadheat loggers' level (the app's default)")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with fresh_database("leadheat_bench_rescore") as url:
        started = time.perf_counter()
        seed = seed_service if args.seed_through_service else seed_fast
        tenant_id = asyncio.run(seed(url, args.leads))
        how = "bench/common.seed_tenant" if args.seed_through_service else "set-based SQL"
        print(f"seeded {args.leads} leads in one tenant in {time.perf_counter() - started:.1f} s ({how})")
        with service_log(args.log_level) as log_path:
            r = asyncio.run(measure(url, tenant_id))
        log_lines = sum(1 for _ in log_path.open())
        log_path.unlink()

    bare_1, bare_2 = r["bare"]
    bare = (bare_1 + bare_2) / 2
    ratio = r["rescore"] / bare
    order = ("burning", "hot", "warm", "cold")
    for when in ("before", "after"):
        counts = ", ".join(f"{t} {r[when].get(t, 0)}" for t in order)
        print(f"temperatures {when}: {counts}")
    print(
        f"bare UPDATE of {r['rows']} rows: {bare_1:.2f} s before the re-score, {bare_2:.2f} s after "
        f"(mean {bare:.2f} s)"
    )
    print(
        f"re-score through TenantService.save_rules (hot_threshold 50 -> 45) + commit: {r['rescore']:.2f} s, "
        f"{r['rescored']} leads re-scored"
    )
    print(
        f"ratio re-score / bare UPDATE: {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'}; "
        f"{r['rescore'] / bare_1:.2f} and {r['rescore'] / bare_2:.2f} against each bare run)"
    )
    print(
        f"notifications: {r['changes']} changes handed to the notifier in {r['calls']} call(s) "
        f"(target: one: {'met' if r['changes'] == 1 else 'NOT met'}); "
        f"{log_lines} log lines at {args.log_level}"
    )


if __name__ == "__main__":
    main()
