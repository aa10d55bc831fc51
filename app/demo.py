"""The demo agency: about 60 leads in English, Persian and Arabic, in every temperature."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.domain.agents.models import Agent
from app.domain.agents.service import invite
from app.domain.clock import Clock, FrozenClock, system_clock
from app.domain.enums import EventType
from app.domain.leads.outcomes import DEFAULT_OUTCOME_REASONS
from app.domain.leads.service import LeadService
from app.domain.tenants.service import TenantService
from app.domain.tokens.service import TokenService

DEMO_EMAIL = "demo@leadheat.local"
DEMO_PASSWORD = "leadheat-demo"
AREAS = [
    "Dubai Marina",
    "Downtown Dubai",
    "Palm Jumeirah",
    "Business Bay",
    "Jumeirah Village Circle",
    "Dubai Hills Estate",
    "Arabian Ranches",
    "Dubai Creek Harbour",
]
NAMES = {
    "en": [
        "James Carter",
        "Emily Watson",
        "Oliver Bennett",
        "Sophie Turner",
        "Daniel Hughes",
        "Grace Mitchell",
        "Liam O'Connor",
        "Hannah Reed",
        "Noah Fischer",
        "Chloe Martin",
        "Ethan Walker",
        "Isabella Rossi",
        "Lucas Novak",
        "Mia Kowalski",
        "Ryan Patel",
        "Ava Thompson",
        "Henry Lambert",
        "Zoe Clarke",
        "Adam Schulz",
        "Nina Petrova",
    ],
    "fa": [
        "علی رضایی",
        "مریم احمدی",
        "رضا محمدی",
        "سارا کریمی",
        "حسین موسوی",
        "نگار حسینی",
        "امیر جعفری",
        "لیلا رحیمی",
        "مهدی صادقی",
        "زهرا نوری",
        "کاوه شریفی",
        "پریسا قاسمی",
        "بهرام یزدانی",
        "شیرین کاظمی",
        "آرش فرهادی",
        "نازنین اکبری",
        "داریوش تهرانی",
        "الهام مرادی",
        "فرهاد سلیمانی",
        "مینا باقری",
    ],
    "ar": [
        "محمد العلي",
        "فاطمة الزهراء",
        "أحمد المنصوري",
        "عائشة الكعبي",
        "خالد الشامسي",
        "مريم النعيمي",
        "عمر الحمادي",
        "نورة السويدي",
        "يوسف البلوشي",
        "ليلى المهيري",
        "سعيد الظاهري",
        "هند الفلاسي",
        "راشد المري",
        "سلمى القاسمي",
        "حمدان الكتبي",
        "شيخة الرميثي",
        "طارق الجابري",
        "دانة المزروعي",
        "ماجد الهاملي",
        "ريم النقبي",
    ],
}


@dataclass(frozen=True)
class DemoInfo:
    tenant_id: uuid.UUID
    email: str
    password: str
    api_token: str
    created: bool


async def seed_demo(session: AsyncSession, clock: Clock = system_clock) -> DemoInfo:
    """Create the demo agency the first time; afterwards only report how to reach it."""
    admin = await session.scalar(sa.select(Agent).where(Agent.email == DEMO_EMAIL))
    if admin is not None:
        return DemoInfo(
            admin.tenant_id, DEMO_EMAIL, DEMO_PASSWORD, await _known_token(session, admin.tenant_id), False
        )

    created = await TenantService(session, clock).create(
        name="Marina Heights Realty (demo)",
        admin_email=DEMO_EMAIL,
        admin_password=DEMO_PASSWORD,
        currency="AED",
        phone_region="AE",
        time_zone="Asia/Dubai",
        areas=AREAS,
    )
    tenant_id = created.tenant.id
    _remember_token(tenant_id, created.api_token)
    await add_sample_leads(session, tenant_id, clock)
    return DemoInfo(tenant_id, DEMO_EMAIL, DEMO_PASSWORD, created.api_token, True)


async def add_sample_leads(
    session: AsyncSession, tenant_id: uuid.UUID, clock: Clock = system_clock, count: int = 60, seed: int = 7
) -> None:
    """Leads with events spread over the last week, recorded through the lead service, each at
    the moment it happened (so speed-to-lead, the score history and the report have a past);
    some claimed by the demo agents, contacted, won or lost."""
    rng = random.Random(seed)
    now = clock()
    team = await _demo_agents(session, tenant_id)
    languages = ["en", "fa", "ar"]
    profiles = ["burning"] * 10 + ["hot"] * 15 + ["warm"] * 20 + ["cold"] * 15
    for i in range(count):
        kind = profiles[i % len(profiles)]
        language = languages[i % 3]
        name = NAMES[language][(i // 3) % len(NAMES[language])]
        fields, events, last_age = _sample(rng, kind)
        status = fields.pop("status", None)
        times = _spread(rng, now - last_age, len(events))
        moment = FrozenClock((times[0] if times else now - last_age) - timedelta(minutes=rng.randint(1, 30)))
        leads = LeadService(session, moment)
        scored = await leads.create(
            tenant_id,
            {
                "name": name,
                "language": language,
                "source": rng.choice(["expo", "instagram", "website", "referral"]),
                **fields,
            },
            source="demo",
        )
        followed = False
        for position, (event_type, at) in enumerate(zip(events, times, strict=True)):
            payload: dict[str, Any] = {}
            if event_type is EventType.MESSAGE:
                payload = {
                    "text": rng.choice(
                        [
                            "Hello",
                            "Is it still available?",
                            "I'm interested in 2BR",
                            "Can I see the floor plan?",
                            "What is the service charge?",
                        ]
                    )
                }
            moment.now = at
            result = await leads.record(
                tenant_id, scored.lead.id, event_type, occurred_at=at, payload=payload, source="demo"
            )
            # Agents answer a lead that just turned hot within minutes to hours, before its next move.
            answer_at = at + timedelta(minutes=rng.randint(3, 240))
            next_move = times[position + 1] if position + 1 < len(times) else now
            turned = result.temperature == "burning" if kind == "burning" else result.temperature == "hot"
            if not followed and turned and answer_at <= next_move:
                moment.now = answer_at
                await _follow_up(rng, leads, now, tenant_id, scored.lead.id, kind, status, team)
                followed = True
        if not followed:
            moment.now = min(moment.now + timedelta(minutes=rng.randint(3, 90)), now)
            await _follow_up(rng, leads, now, tenant_id, scored.lead.id, kind, status, team)


async def _demo_agents(session: AsyncSession, tenant_id: uuid.UUID) -> list[Agent]:
    return [
        await invite(session, tenant_id, email=email, name=name, role="agent", password=DEMO_PASSWORD)
        for email, name in (("sara@leadheat.local", "Sara Karimi"), ("omar@leadheat.local", "Omar Haddad"))
    ]


async def _follow_up(
    rng: random.Random,
    leads: LeadService,
    now: datetime,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    kind: str,
    status: str | None,
    team: list[Agent],
) -> None:
    """What the agents did about the lead: claimed it, called it, closed it (or not yet)."""
    if kind == "cold" or (kind == "burning" and status is None and rng.random() < 0.5):
        return  # untouched: burning ones keep their speed-to-lead timer running
    if rng.random() < 0.7:
        await leads.claim(tenant_id, lead_id, rng.choice(team).id)
    if status is None and rng.random() < (0.3 if kind == "warm" else 0.6):
        status = "contacted"
    if status is None:
        return
    await leads.update_profile(tenant_id, lead_id, {"status": status}, source="demo")
    won = {"burning": 0.4, "hot": 0.25, "warm": 0.1}[kind]
    closing = rng.random()
    if closing < won:
        await leads.set_outcome(tenant_id, lead_id, "won", reason=DEFAULT_OUTCOME_REASONS[0], source="demo")
    elif closing > 0.8:
        reason = rng.choice(DEFAULT_OUTCOME_REASONS[1:])
        await leads.set_outcome(tenant_id, lead_id, "lost", reason=reason, source="demo")


def _sample(rng: random.Random, kind: str) -> tuple[dict[str, Any], list[EventType], timedelta]:
    transaction = rng.choice(["buy", "buy", "rent"])
    budget = (
        rng.choice([900_000, 1_500_000, 2_500_000, 4_000_000, 8_000_000])
        if transaction == "buy"
        else rng.choice([60_000, 95_000, 140_000, 220_000])
    )
    every = {
        "phone": f"+9715{rng.choice('024568')}{rng.randrange(10**6, 10**7)}",
        "budget_max": budget,
        "transaction_type": transaction,
        "property_type": rng.choice(["apartment", "villa", "townhouse", "penthouse", "studio"]),
        "location": rng.choice(AREAS),
        "payment_method": rng.choice(["cash", "mortgage", "installments"]),
        "purpose": rng.choice(["living", "investment", "residency"]),
    }
    keep = {"burning": 7, "hot": rng.randint(4, 6), "warm": rng.randint(2, 3), "cold": rng.randint(0, 1)}[
        kind
    ]
    fields = dict(list(every.items())[:keep])
    if kind in {"hot", "burning"} and rng.random() < 0.3:
        fields["status"] = rng.choice(["contacted", "viewing", "negotiating"])
    engagement = {
        "burning": (rng.randint(1, 4), rng.randint(1, 4), rng.randint(3, 10), rng.random() < 0.6),
        "hot": (rng.randint(1, 2), rng.randint(0, 2), rng.randint(2, 6), rng.random() < 0.3),
        "warm": (rng.randint(0, 2), rng.randint(0, 1), rng.randint(1, 4), False),
        "cold": (rng.randint(0, 1), 0, rng.randint(0, 2), False),
    }[kind]
    scans, views, messages, voice = engagement
    events = [EventType.QR_SCAN] * scans + [EventType.CATALOG_VIEW] * views + [EventType.MESSAGE] * messages
    if voice:
        events.append(EventType.VOICE_MESSAGE)
    last_age = {
        "burning": timedelta(minutes=rng.randint(2, 50)),
        "hot": timedelta(hours=rng.randint(1, 20)),
        "warm": timedelta(hours=rng.randint(6, 70)),
        "cold": timedelta(days=rng.randint(3, 7)),
    }[kind]
    return fields, events, last_age


def _spread(rng: random.Random, last: datetime, n: int) -> list[datetime]:
    """n times, oldest first, ending at `last`, reaching back up to two days before it."""
    if n == 0:
        return []
    earlier = sorted(last - timedelta(minutes=rng.randint(1, 2880)) for _ in range(n - 1))
    return [*earlier, last]


async def _known_token(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The saved demo token, or a fresh one when this machine never saw it."""
    try:
        saved = json.loads(_credentials_file().read_text())
        if saved.get("tenant_id") == str(tenant_id):
            token = saved["api_token"]
            if await TokenService(session).tenant_of(token) == tenant_id:
                return token
    except (OSError, ValueError, KeyError):
        pass
    issued = await TokenService(session).issue(tenant_id, "demo")
    _remember_token(tenant_id, issued.token)
    return issued.token


def _credentials_file() -> Path:
    """The demo token is kept beside the install (var/), so `make run` can show it every time."""
    return get_settings().var_dir / "demo.json"


def _remember_token(tenant_id: uuid.UUID, token: str) -> None:
    path = _credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"tenant_id": str(tenant_id), "api_token": token}))
    path.chmod(0o600)
