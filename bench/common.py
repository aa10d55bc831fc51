"""Shared pieces of the benchmarks: a throwaway PostgreSQL database, seeded leads, a served app."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import create_engine
from app.domain.leads.models import Lead
from app.domain.leads.service import LeadService
from app.domain.tenants.service import MAX_API_RATE, TenantService

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")

FIRST = {
    "en": ["James", "Emily", "Oliver", "Sophie", "Daniel", "Grace", "Liam", "Hannah", "Noah", "Chloe"],
    "fa": ["علی", "مریم", "رضا", "سارا", "حسین", "نگار", "امیر", "لیلا", "مهدی", "زهرا"],
    "ar": ["محمد", "فاطمة", "أحمد", "عائشة", "خالد", "مريم", "عمر", "نورة", "يوسف", "ليلى"],
    "ru": ["Иван", "Анна", "Дмитрий", "Ольга", "Сергей", "Мария", "Алексей", "Елена", "Павел", "Ирина"],
}
LAST = {
    "en": ["Carter", "Watson", "Bennett", "Turner", "Hughes", "Mitchell", "Reed", "Fischer"],
    "fa": ["رضایی", "احمدی", "محمدی", "کریمی", "موسوی", "حسینی", "جعفری", "رحیمی"],
    "ar": ["العلي", "المنصوري", "الكعبي", "الشامسي", "النعيمي", "الحمادي", "السويدي", "البلوشي"],
    "ru": ["Иванов", "Петрова", "Смирнов", "Кузнецова", "Попов", "Соколова", "Лебедев", "Новикова"],
}
AREAS = ["Dubai Marina", "Downtown Dubai", "Palm Jumeirah", "Business Bay", "JVC", "Dubai Hills Estate"]


def postgres_dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL, for psql and pgbench."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


# A server database needs a SECRET_KEY (only the embedded SQLite run makes its own).
BENCH_SECRET_KEY = "benchmark-secret-key-not-for-production"


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        env = {"SECRET_KEY": BENCH_SECRET_KEY, **os.environ, "DATABASE_URL": url}
        env["LITESTAR_APP"] = "app.main:create_app"
        subprocess.run(
            [str(BIN / "litestar"), "database", "upgrade", "--no-prompt"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _lead_rows(rng: random.Random, tenant_id: uuid.UUID, first: int, count: int, now: datetime) -> list[dict]:
    rows = []
    for i in range(first, first + count):
        lang = rng.choice(list(FIRST))
        messages = rng.choice([0, 0, 1, 2, 3, 5, 8, 13])
        interacted = rng.random() < 0.85
        transaction = rng.choice(["buy", "buy", "rent", None])
        rows.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "name": f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}",
                "language": lang,
                "phone": f"+9715{rng.choice('024568')}{rng.randrange(10**6, 10**7)}"
                if rng.random() < 0.6
                else None,
                "external_id": f"crm-{i}",
                "budget_max": rng.choice([None, 900_000, 2_500_000, 8_000_000])
                if transaction != "rent"
                else 120_000,
                "transaction_type": transaction,
                "property_type": rng.choice([None, "apartment", "villa", "townhouse", "studio"]),
                "location": rng.choice([None, *AREAS]),
                "payment_method": rng.choice([None, "cash", "mortgage", "installments"]),
                "status": "new",
                "notes": "",
                "qr_scan_count": rng.choice([0, 0, 1, 2]),
                "catalog_views": rng.choice([0, 1, 2, 3]),
                "messages_count": messages,
                "voice_messages_count": 1 if messages and rng.random() < 0.2 else 0,
                "last_interaction_at": now - timedelta(seconds=rng.randrange(0, 14 * 86400))
                if interacted
                else None,
                "lead_score": 0,
                "temperature": "cold",
                "created_at": now - timedelta(seconds=rng.randrange(0, 60 * 86400)),
                "updated_at": now,
            }
        )
    return rows


async def seed_tenant(
    url: str, name: str, leads: int, seed: int = 1
) -> tuple[uuid.UUID, str, list[uuid.UUID]]:
    """A tenant with `leads` realistic leads (set-based insert, then one set-based re-score)."""
    engine = create_engine(url, pool_size=2)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            created = await TenantService(session).create(
                name=name,
                admin_email=f"admin-{uuid.uuid4().hex[:8]}@bench.example",
                admin_password="benchmark-pw",
            )
            tenant_id = created.tenant.id
            # A benchmark measures the app, not the per-token rate limit (50/s by default).
            await TenantService(session).set_api_rate_limit(tenant_id, MAX_API_RATE, MAX_API_RATE)
            ids: list[uuid.UUID] = []
            for start in range(0, leads, 5_000):
                rows = _lead_rows(rng, tenant_id, start, min(5_000, leads - start), now)
                await session.execute(sa.insert(Lead.__table__), rows)
                ids.extend(r["id"] for r in rows)
            await session.commit()
            await LeadService(session).rescore_tenant(tenant_id)
            await session.commit()  # services never commit: this script is the unit of work
        # As autovacuum would in a running system: statistics and the visibility map.
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text("VACUUM ANALYZE lead"))
        return tenant_id, created.api_token, ids
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served_app(
    url: str, port: int | None = None, log_path: Path | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """The app under uvicorn, one process, as `make run` serves it; yields its base address."""
    port = port or free_port()
    # Plain HTTP on loopback, as `make run` serves it: cookies without the Secure flag.
    env = {
        "SECURE_COOKIES": "false",
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "INFO",
        "BOT_POLLING": "0",
        **(extra_env or {}),
    }
    if not url.startswith("sqlite"):  # a server database needs a key; only SQLite makes its own
        env.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    log = open(log_path or os.devnull, "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "--factory",
            "app.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("the app exited while starting")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError("the app did not become ready")
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):  # a test may have killed it already
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def need_tool(name: str, debian_package: str) -> str:
    """The path of a command-line tool, installing its Debian package if it is missing."""
    path = shutil.which(name)
    if path is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", debian_package], check=True, capture_output=True)
        path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is needed (apt-get install {debian_package})")
    return path


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}"
