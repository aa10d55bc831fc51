"""A lean reference for `POST /api/tenants/{tid}/leads/{lid}/events`: what the same durable write
costs with nothing in between. bench/intake.py serves it under the same uvicorn, one process:

    DATABASE_URL=postgresql+asyncpg://... .venv/bin/uvicorn bench.reference_app:app

A bare ASGI callable, no framework: the bearer token is checked against an in-process dict
(token hash -> tenant id, loaded at startup), the body is parsed with msgspec, and ONE prepared
statement in autocommit does the whole write: it checks the idempotency key (if given), locks
the lead, adds one to the event type's counters, moves `last_interaction_at` forward, stores
the new score, temperature and `score_valid_until` (computed in SQL from the tenant's rules as
they were at startup: the same rule as app/domain/scoring.py), and inserts the `lead_event`
row with a breakdown of the size the app stores (~1.3 KB). It answers 201 with the score and
temperature (200 for a repeated idempotency key, as the app does).

Not a product: rules changed after startup and revoked tokens are not seen, and validation is
the minimum (type, idempotency key, occurred_at, payload size).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
from uuid_utils.compat import uuid7

from app.domain.scoring import DEFAULT_RULES, LeadState

POOL_SIZE = int(os.environ.get("REFERENCE_POOL_SIZE", "16"))
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_FUTURE_SKEW = timedelta(minutes=5)
COUNTERS = {
    "qr_scan": ("qr_scan_count",),
    "catalog_view": ("catalog_views",),
    "message": ("messages_count",),
    "voice_message": ("messages_count", "voice_messages_count"),
}
# The breakdown the app stores for a typical lead, as a template; the statement sets its
# total and temperature to the real ones.
BREAKDOWN = msgspec.json.encode(
    DEFAULT_RULES.score(LeadState(messages_count=3), datetime.now(UTC)).as_dict()
).decode()

TOKENS: dict[str, uuid.UUID] = {}  # sha256(token) -> tenant id
STATEMENTS: dict[tuple[uuid.UUID, str], str] = {}  # (tenant, event type) -> SQL
POOL: asyncpg.Pool | None = None


# ---- the scoring rule as SQL (mirrors RuleSet.sql_score / sql_next_boundary) -----------------


def _score(r: dict[str, Any], col: dict[str, str]) -> str:
    def capped(c: str, each: int, cap: int) -> str:
        return f"LEAST(LEAST({c}, {cap}) * {each}, {cap})"

    def flag(c: str, points: int) -> str:
        return f"CASE WHEN {c} IS NOT NULL AND trim({c}) <> '' THEN {points} ELSE 0 END"

    parts = [
        capped(col["qr_scan_count"], r["qr_scan_points"], r["qr_scan_cap"]),
        capped(col["catalog_views"], r["catalog_view_points"], r["catalog_view_cap"]),
        capped(col["messages_count"], r["message_points"], r["message_cap"]),
        f"CASE WHEN {col['voice_messages_count']} > 0 THEN {r['voice_bonus']} ELSE 0 END",
        flag("lead.phone", r["phone_points"]),
        f"CASE WHEN coalesce(lead.budget_min, 0) > 0 OR coalesce(lead.budget_max, 0) > 0 "
        f"THEN {r['budget_points']} ELSE 0 END",
        flag("lead.transaction_type", r["transaction_type_points"]),
        flag("lead.property_type", r["property_type_points"]),
        flag("lead.location", r["location_points"]),
        flag("lead.payment_method", r["payment_method_points"]),
        "CASE "
        + " ".join(
            f"WHEN {col['last_interaction_at']} > now() - interval '{t['max_age_seconds']} seconds' "
            f"THEN {t['points']}"
            for t in r["recency_tiers"]
        )
        + " ELSE 0 END",
    ]
    return f"LEAST({' + '.join(parts)}, 100)"


def _boundary(r: dict[str, Any], last: str) -> str:
    whens = " ".join(
        f"WHEN {last} > now() - interval '{t['max_age_seconds']} seconds' "
        f"THEN {last} + interval '{t['max_age_seconds']} seconds'"
        for t in r["recency_tiers"]
    )
    return f"CASE {whens} ELSE NULL END"


def _temperature(r: dict[str, Any], score: str) -> str:
    return (
        f"CASE WHEN {score} >= {r['burning_threshold']} THEN 'burning' "
        f"WHEN {score} >= {r['hot_threshold']} THEN 'hot' "
        f"WHEN {score} >= {r['warm_threshold']} THEN 'warm' ELSE 'cold' END"
    )


def statement(rules: dict[str, Any], kind: str) -> str:
    """One event of `kind`, all of it in one statement.

    $1 tenant, $2 lead, $3 idempotency key or NULL, $4 occurred_at or NULL, $5 event id,
    $6 payload (JSON text), $7 breakdown template (JSON text).
    """
    counters = COUNTERS[kind]
    old = {
        name: f"lead.{name}"
        for name in ("qr_scan_count", "catalog_views", "messages_count", "voice_messages_count")
    }
    old["last_interaction_at"] = "lead.last_interaction_at"
    new = {name: (f"({expr} + 1)" if name in counters else expr) for name, expr in old.items()}
    new["last_interaction_at"] = "greatest(lead.last_interaction_at, coalesce($4::timestamptz, now()))"
    increments = ", ".join(f"{name} = lead.{name} + 1" for name in counters)
    return f"""
WITH seen AS (
  SELECT lead_id, score_after, temperature_after FROM lead_event
  WHERE tenant_id = $1 AND idempotency_key = $3::varchar
), cur AS (
  SELECT lead.id,
         {_score(rules, old)} AS score_before,
         {_score(rules, new)} AS score_after,
         {new["last_interaction_at"]} AS last_at
  FROM lead
  WHERE lead.tenant_id = $1 AND lead.id = $2 AND NOT EXISTS (SELECT 1 FROM seen)
  FOR UPDATE OF lead
), upd AS (
  UPDATE lead SET {increments},
    last_interaction_at = cur.last_at,
    lead_score = cur.score_after,
    temperature = {_temperature(rules, "cur.score_after")},
    score_valid_until = {_boundary(rules, "cur.last_at")},
    updated_at = now()
  FROM cur WHERE lead.tenant_id = $1 AND lead.id = cur.id
  RETURNING lead.id, cur.score_before, lead.lead_score, lead.temperature
), ins AS (
  INSERT INTO lead_event (id, tenant_id, lead_id, type, occurred_at, received_at, source, payload,
      idempotency_key, score_before, score_after, temperature_after, breakdown, created_at, updated_at)
  SELECT $5, $1, upd.id, '{kind}', coalesce($4::timestamptz, now()), now(), 'api', $6::jsonb,
      $3::varchar, upd.score_before, upd.lead_score, upd.temperature,
      $7::jsonb || jsonb_build_object('total', upd.lead_score, 'temperature', upd.temperature),
      now(), now()
  FROM upd
  RETURNING lead_id, score_after, temperature_after
)
SELECT false AS duplicate, lead_id, score_after, temperature_after FROM ins
UNION ALL
SELECT true, lead_id, score_after, temperature_after FROM seen
"""


# ---- startup -------------------------------------------------------------------------------


def _dsn() -> str:
    url = os.environ["DATABASE_URL"]
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _start() -> None:
    global POOL
    POOL = await asyncpg.create_pool(_dsn(), min_size=POOL_SIZE, max_size=POOL_SIZE)
    async with POOL.acquire() as con:
        for row in await con.fetch("SELECT token_hash, tenant_id FROM api_token WHERE revoked_at IS NULL"):
            TOKENS[row["token_hash"]] = row["tenant_id"]
        stored = {
            row["tenant_id"]: msgspec.json.decode(row["rules"])
            for row in await con.fetch("SELECT tenant_id, rules FROM scoring_rule_set")
        }
    defaults = DEFAULT_RULES.to_dict()
    for tenant_id in set(TOKENS.values()):
        rules = {**defaults, **stored.get(tenant_id, {})}
        for kind in COUNTERS:
            STATEMENTS[tenant_id, kind] = statement(rules, kind)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await _start()
            except Exception as exc:  # noqa: BLE001
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if POOL is not None:
                await POOL.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


# ---- requests ------------------------------------------------------------------------------


async def _answer(send: Any, status: int, body: dict[str, Any]) -> None:
    data = msgspec.json.encode(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


class BadRequest(Exception):
    pass


def _event_input(body: bytes) -> tuple[str, str | None, datetime | None, str]:
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    kind = data.get("type")
    if kind not in COUNTERS:
        raise BadRequest(f"type must be one of: {', '.join(sorted(COUNTERS))}")
    key = data.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 200 or "\x00" in key):
        raise BadRequest("idempotency_key must be text of 1 to 200 characters")
    occurred = data.get("occurred_at")
    if occurred is not None:
        try:
            occurred = datetime.fromisoformat(occurred)
        except (TypeError, ValueError):
            raise BadRequest("occurred_at must be an ISO 8601 time") from None
        if occurred.tzinfo is None or occurred - datetime.now(UTC) > MAX_FUTURE_SKEW:
            raise BadRequest("occurred_at needs an offset and may be at most 5 minutes ahead")
    payload = data.get("payload") or {}
    if not isinstance(payload, dict):
        raise BadRequest("payload must be a JSON object")
    encoded = msgspec.json.encode(payload)
    if len(encoded) > MAX_PAYLOAD_BYTES or b"\\u0000" in encoded:
        raise BadRequest("payload is too large or holds a NUL character")
    return kind, key, occurred, encoded.decode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/ready":
        await _answer(send, 200, {"ready": True})
        return
    parts = path.split("/")  # ['', 'api', 'tenants', tid, 'leads', lid, 'events']
    if (
        scope["method"] != "POST"
        or len(parts) != 7
        or parts[1] != "api"
        or parts[2] != "tenants"
        or parts[4] != "leads"
        or parts[6] != "events"
    ):
        await _answer(send, 404, {"detail": "Not found."})
        return
    secret = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, secret = value.partition(b" ")
            if scheme.lower() != b"bearer":
                secret = b""
            break
    tenant_id = TOKENS.get(hashlib.sha256(secret.strip()).hexdigest()) if secret.strip() else None
    if tenant_id is None:
        await _answer(send, 401, {"detail": "This API token is not valid."})
        return
    try:
        lead_id = uuid.UUID(parts[5])
        path_tenant = uuid.UUID(parts[3])
    except ValueError:
        await _answer(send, 404, {"detail": "Not found."})
        return
    if path_tenant != tenant_id:
        await _answer(send, 404, {"detail": "No such agency."})
        return

    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    try:
        kind, key, occurred, payload = _event_input(b"".join(chunks))
    except BadRequest as exc:
        await _answer(send, 400, {"detail": str(exc)})
        return

    assert POOL is not None
    args = (STATEMENTS[tenant_id, kind], tenant_id, lead_id, key, occurred, uuid7(), payload, BREAKDOWN)
    try:
        rows = await POOL.fetch(*args)
    except asyncpg.UniqueViolationError:
        # Another request took the key between the check and the insert: now it is seen.
        rows = await POOL.fetch(*args)
    if not rows:
        await _answer(send, 404, {"detail": "No such lead."})
        return
    duplicate, event_lead, score, temperature = rows[0]
    if duplicate and event_lead != lead_id:
        await _answer(send, 409, {"detail": "This idempotency_key was already used for another lead."})
        return
    await _answer(send, 200 if duplicate else 201, {"lead_score": score, "temperature": temperature})
