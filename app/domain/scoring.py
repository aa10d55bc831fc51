"""The lead scoring rule of docs/scoring.md: pure code, no I/O.

One `RuleSet` answers two questions the same way: `score()` evaluates one lead in Python,
and `sql_*()` build the SQL expressions that re-score many leads in one statement.
A property test holds the two equal.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement

MAX_SCORE = 100
# Upper bounds keep every rule number in a sane range (and inside a 32-bit integer).
MAX_POINTS = 1_000
MAX_TIER_AGE_SECONDS = 10 * 365 * 24 * 3600
MAX_RECENCY_TIERS = 10
# The engagement counters a lead carries (columns of the lead table, fields of LeadState).
COUNTER_FIELDS = ("qr_scan_count", "catalog_views", "messages_count", "voice_messages_count")


class Temperature(enum.StrEnum):
    BURNING = "burning"
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class RuleSetError(ValueError):
    """A rule set that docs/scoring.md refuses; `field` names the offending value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class RecencyTier:
    """`points` while the last interaction is younger than `max_age_seconds`."""

    max_age_seconds: int
    points: int


@dataclass(frozen=True, slots=True)
class LeadState:
    """Everything the score depends on, besides the time."""

    qr_scan_count: int = 0
    catalog_views: int = 0
    messages_count: int = 0
    voice_messages_count: int = 0
    phone: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    transaction_type: str | None = None
    property_type: str | None = None
    location: str | None = None
    payment_method: str | None = None
    last_interaction_at: datetime | None = None

    @classmethod
    def of(cls, obj: Any) -> LeadState:
        """Read the scoring inputs off any object or mapping that carries them (a model, a row)."""
        get = obj.get if isinstance(obj, Mapping) else lambda name: getattr(obj, name)
        values = {f.name: get(f.name) for f in fields(cls)}
        for counter in COUNTER_FIELDS:
            values[counter] = values[counter] or 0
        return cls(**values)


@dataclass(frozen=True, slots=True)
class RuleLine:
    """One rule's share of a score, e.g. `qr scans 2 x 3 = 6 / 15`."""

    rule: str
    label: str
    points: int
    cap: int
    count: int | None = None
    each: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "label": self.label,
            "points": self.points,
            "cap": self.cap,
            "count": self.count,
            "each": self.each,
            "text": str(self),
        }

    def __str__(self) -> str:
        if self.count is not None and self.each is not None:
            return f"{self.label} {self.count} x {self.each} = {self.points} / {self.cap}"
        return f"{self.label} {self.points} / {self.cap}"


@dataclass(frozen=True, slots=True)
class Score:
    total: int
    temperature: Temperature
    engagement: int
    qualification: int
    recency: int
    lines: tuple[RuleLine, ...]
    # When recency next drops (None: never, it already gives its last points), and to what.
    next_boundary: datetime | None
    score_after_boundary: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "temperature": self.temperature.value,
            "engagement": self.engagement,
            "qualification": self.qualification,
            "recency": self.recency,
            "rules": [line.as_dict() for line in self.lines],
            "next_boundary": self.next_boundary.isoformat() if self.next_boundary else None,
            "score_after_boundary": self.score_after_boundary,
        }


def _is_set(text: str | None) -> bool:
    return text is not None and text.strip() != ""


def _has_budget(state: LeadState) -> bool:
    return (state.budget_min or 0) > 0 or (state.budget_max or 0) > 0


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every number of the rule; the defaults are docs/scoring.md's default rule set."""

    qr_scan_points: int = 3
    qr_scan_cap: int = 15
    catalog_view_points: int = 2
    catalog_view_cap: int = 10
    message_points: int = 1
    message_cap: int = 10
    voice_bonus: int = 5

    phone_points: int = 10
    budget_points: int = 10
    transaction_type_points: int = 5
    property_type_points: int = 5
    location_points: int = 5
    payment_method_points: int = 5

    recency_tiers: tuple[RecencyTier, ...] = field(
        default=(
            RecencyTier(3600, 20),
            RecencyTier(6 * 3600, 15),
            RecencyTier(24 * 3600, 10),
            RecencyTier(72 * 3600, 5),
        )
    )

    burning_threshold: int = 70
    hot_threshold: int = 50
    warm_threshold: int = 25

    # ---- construction and validation -------------------------------------------------

    def __post_init__(self) -> None:
        self._validate()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Build from JSON-like data; unknown or malformed values raise `RuleSetError`."""
        if not isinstance(data, Mapping):
            raise RuleSetError("rules", "must be an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RuleSetError(unknown[0], "is not a scoring rule")
        values: dict[str, Any] = dict(data)
        if "recency_tiers" in values:
            values["recency_tiers"] = _parse_tiers(values["recency_tiers"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["recency_tiers"] = [asdict(t) for t in self.recency_tiers]
        return data

    def _validate(self) -> None:
        for f in fields(self):
            if f.name == "recency_tiers":
                continue
            _check_int(f.name, getattr(self, f.name), MAX_POINTS)
        if not self.recency_tiers:
            raise RuleSetError("recency_tiers", "needs at least one tier")
        if len(self.recency_tiers) > MAX_RECENCY_TIERS:
            raise RuleSetError("recency_tiers", f"has more than {MAX_RECENCY_TIERS} tiers")
        previous_age = 0
        for i, tier in enumerate(self.recency_tiers):
            _check_int(f"recency_tiers[{i}].max_age_seconds", tier.max_age_seconds, MAX_TIER_AGE_SECONDS)
            _check_int(f"recency_tiers[{i}].points", tier.points, MAX_POINTS)
            if tier.max_age_seconds <= previous_age:
                raise RuleSetError(
                    f"recency_tiers[{i}].max_age_seconds",
                    "tier ages must be strictly increasing and above 0",
                )
            previous_age = tier.max_age_seconds
        if not 0 <= self.warm_threshold < self.hot_threshold < self.burning_threshold <= MAX_SCORE:
            bad = (
                "warm_threshold"
                if self.warm_threshold >= self.hot_threshold
                else "hot_threshold"
                if self.hot_threshold >= self.burning_threshold
                else "burning_threshold"
            )
            raise RuleSetError(
                bad, "thresholds must be strictly increasing (warm < hot < burning) within 0..100"
            )

    # ---- Python evaluation -----------------------------------------------------------

    def temperature_of(self, total: int) -> Temperature:
        if total >= self.burning_threshold:
            return Temperature.BURNING
        if total >= self.hot_threshold:
            return Temperature.HOT
        if total >= self.warm_threshold:
            return Temperature.WARM
        return Temperature.COLD

    def recency_points(self, last_interaction_at: datetime | None, now: datetime) -> int:
        tier = self._current_tier(last_interaction_at, now)
        return tier.points if tier else 0

    def next_boundary(self, last_interaction_at: datetime | None, now: datetime) -> datetime | None:
        """The end of the current recency tier (when the score must be re-checked): `score_valid_until`."""
        tier = self._current_tier(last_interaction_at, now)
        if tier is None or last_interaction_at is None:
            return None
        return last_interaction_at + timedelta(seconds=tier.max_age_seconds)

    def _current_tier(self, last: datetime | None, now: datetime) -> RecencyTier | None:
        if last is None:
            return None
        age = now - last
        for tier in self.recency_tiers:
            if age < timedelta(seconds=tier.max_age_seconds):
                return tier
        return None

    def score(self, state: LeadState, now: datetime) -> Score:
        engagement_lines = (
            _capped("qr_scans", "qr scans", state.qr_scan_count, self.qr_scan_points, self.qr_scan_cap),
            _capped(
                "catalog_views",
                "catalog views",
                state.catalog_views,
                self.catalog_view_points,
                self.catalog_view_cap,
            ),
            _capped("messages", "messages", state.messages_count, self.message_points, self.message_cap),
            RuleLine(
                "voice_bonus",
                "voice bonus",
                self.voice_bonus if state.voice_messages_count > 0 else 0,
                self.voice_bonus,
            ),
        )
        qualification_lines = (
            _flag("phone", "phone", _is_set(state.phone), self.phone_points),
            _flag("budget", "budget", _has_budget(state), self.budget_points),
            _flag(
                "transaction_type",
                "transaction type",
                _is_set(state.transaction_type),
                self.transaction_type_points,
            ),
            _flag("property_type", "property type", _is_set(state.property_type), self.property_type_points),
            _flag("location", "location", _is_set(state.location), self.location_points),
            _flag(
                "payment_method", "payment method", _is_set(state.payment_method), self.payment_method_points
            ),
        )
        recency = self.recency_points(state.last_interaction_at, now)
        recency_line = RuleLine("recency", "recency", recency, self.max_recency_points)
        engagement = sum(line.points for line in engagement_lines)
        qualification = sum(line.points for line in qualification_lines)
        base = engagement + qualification
        total = min(base + recency, MAX_SCORE)
        boundary = self.next_boundary(state.last_interaction_at, now)
        after = None
        if boundary is not None:
            after = min(base + self.recency_points(state.last_interaction_at, boundary), MAX_SCORE)
        return Score(
            total=total,
            temperature=self.temperature_of(total),
            engagement=engagement,
            qualification=qualification,
            recency=recency,
            lines=(*engagement_lines, *qualification_lines, recency_line),
            next_boundary=boundary,
            score_after_boundary=after,
        )

    @property
    def max_recency_points(self) -> int:
        return max(t.points for t in self.recency_tiers)

    # ---- SQL evaluation (same rule, many rows in one statement) -------------------------

    # Each rule's points, in the order of `Score.lines`: (rule, label, kind) with kind "capped"
    # (count x each, up to a cap), "flag" (all or nothing) or "recency".
    def _sql_rules(self, c: Any, now: Any) -> list[tuple[str, str, ColumnElement[int], int, Any, int | None]]:
        """(rule, label, points, cap, count, each) for every line of the breakdown, in SQL."""
        has_budget = sa.or_(sa.func.coalesce(c.budget_min, 0) > 0, sa.func.coalesce(c.budget_max, 0) > 0)
        capped = [
            ("qr_scans", "qr scans", c.qr_scan_count, self.qr_scan_points, self.qr_scan_cap),
            (
                "catalog_views",
                "catalog views",
                c.catalog_views,
                self.catalog_view_points,
                self.catalog_view_cap,
            ),
            ("messages", "messages", c.messages_count, self.message_points, self.message_cap),
        ]
        flags = [
            ("voice_bonus", "voice bonus", c.voice_messages_count > 0, self.voice_bonus),
            ("phone", "phone", _sql_is_set(c.phone), self.phone_points),
            ("budget", "budget", has_budget, self.budget_points),
            (
                "transaction_type",
                "transaction type",
                _sql_is_set(c.transaction_type),
                self.transaction_type_points,
            ),
            ("property_type", "property type", _sql_is_set(c.property_type), self.property_type_points),
            ("location", "location", _sql_is_set(c.location), self.location_points),
            ("payment_method", "payment method", _sql_is_set(c.payment_method), self.payment_method_points),
        ]
        return [
            *(
                (rule, label, _sql_capped(count, each, cap), cap, count, each)
                for rule, label, count, each, cap in capped
            ),
            *(
                (rule, label, _sql_flag(cond, points), points, None, None)
                for rule, label, cond, points in flags
            ),
            (
                "recency",
                "recency",
                self._sql_recency(c.last_interaction_at, now),
                self.max_recency_points,
                None,
                None,
            ),
        ]

    def sql_parts(self, table: Any, now: datetime | ColumnElement[datetime]) -> dict[str, ColumnElement[Any]]:
        """Each line's points as a small SQL expression of its own (`<rule>`), the recency points
        once the boundary passes (`recency_after`) and the boundary (`next_boundary`): computed
        once, e.g. in a CTE, then combined by `sql_breakdown_of`."""
        c = table.c if hasattr(table, "c") else table
        parts = {rule: points for rule, _, points, _, _, _ in self._sql_rules(c, now)}
        parts["recency_after"] = sa.case(
            *(
                (
                    c.last_interaction_at > _since(now, tier),
                    self.recency_tiers[i + 1].points if i + 1 < len(self.recency_tiers) else 0,
                )
                for i, tier in enumerate(self.recency_tiers)
            ),
            else_=0,
        )
        parts["next_boundary"] = self.sql_next_boundary(c, now)
        return parts

    def sql_total_of(self, parts: Any) -> ColumnElement[int]:
        """The score from `sql_parts` (or columns holding them)."""
        get = parts.get if isinstance(parts, Mapping) else lambda name: getattr(parts, name)
        return AtMost(sum((get(rule) for rule in _RULE_NAMES[1:]), get(_RULE_NAMES[0])), MAX_SCORE)

    def sql_breakdown_of(self, parts: Any, counts: Any) -> ColumnElement[Any]:
        """`Score.as_dict()` as PostgreSQL jsonb, from `sql_parts` (or columns holding them) and
        the lead's counters (`counts`)."""
        get = parts.get if isinstance(parts, Mapping) else lambda name: getattr(parts, name)
        c = counts.c if hasattr(counts, "c") else counts
        lines = []
        for rule, label, _, cap, count, each in self._sql_rules(c, sa.null()):
            lines.append(_sql_line(rule, label, get(rule), cap, count, each))
        engagement = sum((get(rule) for rule in _ENGAGEMENT[1:]), get(_ENGAGEMENT[0]))
        qualification = sum((get(rule) for rule in _QUALIFICATION[1:]), get(_QUALIFICATION[0]))
        total = AtMost(engagement + qualification + get("recency"), MAX_SCORE)
        boundary = get("next_boundary")
        after = sa.case(
            (boundary.is_(None), sa.null()),
            else_=AtMost(engagement + qualification + get("recency_after"), MAX_SCORE),
        )
        return sa.func.jsonb_build_object(
            "total", total, "temperature", self.sql_temperature(total),
            "engagement", engagement, "qualification", qualification, "recency", get("recency"),
            "rules", sa.func.jsonb_build_array(*lines),
            "next_boundary", _sql_iso_utc(boundary), "score_after_boundary", after,
        )  # fmt: skip

    def sql_score(self, table: Any, now: datetime | ColumnElement[datetime]) -> ColumnElement[int]:
        """The score as a SQL expression over `table`'s columns at time `now`."""
        c = table.c if hasattr(table, "c") else table
        return self.sql_total_of({rule: points for rule, _, points, _, _, _ in self._sql_rules(c, now)})

    def sql_temperature(self, score: ColumnElement[int]) -> ColumnElement[str]:
        return sa.case(
            (score >= self.burning_threshold, Temperature.BURNING.value),
            (score >= self.hot_threshold, Temperature.HOT.value),
            (score >= self.warm_threshold, Temperature.WARM.value),
            else_=Temperature.COLD.value,
        )

    def sql_next_boundary(self, table: Any, now: datetime) -> ColumnElement[datetime]:
        c = table.c if hasattr(table, "c") else table
        return sa.case(
            *(
                (
                    c.last_interaction_at > _since(now, tier),
                    AddSeconds(c.last_interaction_at, tier.max_age_seconds),
                )
                for tier in self.recency_tiers
            ),
            else_=sa.null(),
        )

    def sql_breakdown(self, table: Any, now: datetime | ColumnElement[datetime]) -> ColumnElement[Any]:
        """`Score.as_dict()` as one PostgreSQL jsonb value over `table`'s columns (the parts
        inline; the interaction's statement computes them once in a CTE instead)."""
        return self.sql_breakdown_of(self.sql_parts(table, now), table)

    def _sql_recency(self, last: Any, now: datetime | ColumnElement[datetime]) -> ColumnElement[int]:
        return sa.case(*((last > _since(now, tier), tier.points) for tier in self.recency_tiers), else_=0)

    def sql_values(self, table: Any, now: datetime) -> dict[str, ColumnElement[Any]]:
        """SET clause of a set-based re-score: score, temperature and the next boundary."""
        score = self.sql_score(table, now)
        return {
            "lead_score": score,
            "temperature": self.sql_temperature(score),
            "score_valid_until": self.sql_next_boundary(table, now),
        }


def _check_int(name: str, value: Any, upper: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleSetError(name, "must be a whole number")
    if value < 0:
        raise RuleSetError(name, "must not be negative")
    if value > upper:
        raise RuleSetError(name, f"must be at most {upper}")


def _parse_tiers(raw: Any) -> tuple[RecencyTier, ...]:
    if not isinstance(raw, (list, tuple)):
        raise RuleSetError("recency_tiers", "must be a list of {max_age_seconds, points}")
    tiers = []
    for i, item in enumerate(raw):
        if isinstance(item, RecencyTier):
            tiers.append(item)
            continue
        if not isinstance(item, Mapping) or set(item) != {"max_age_seconds", "points"}:
            raise RuleSetError(f"recency_tiers[{i}]", "must be an object with max_age_seconds and points")
        tiers.append(RecencyTier(item["max_age_seconds"], item["points"]))
    return tuple(tiers)


def _capped(rule: str, label: str, count: int, each: int, cap: int) -> RuleLine:
    return RuleLine(rule, label, min(count * each, cap), cap, count=count, each=each)


def _flag(rule: str, label: str, present: bool, points: int) -> RuleLine:
    return RuleLine(rule, label, points if present else 0, points)


def _sql_capped(column: Any, each: int, cap: int) -> ColumnElement[int]:
    # Counters are capped before multiplying so a huge counter cannot overflow an integer.
    return AtMost(AtMost(column, cap) * each, cap)


def _sql_flag(condition: ColumnElement[bool], points: int) -> ColumnElement[int]:
    return sa.case((condition, points), else_=0)


def _sql_is_set(column: Any) -> ColumnElement[bool]:
    return sa.and_(column.is_not(None), sa.func.trim(column) != "")


def _since(now: datetime | ColumnElement[datetime], tier: RecencyTier) -> Any:
    # age < max_age  <=>  last_interaction_at > now - max_age
    if isinstance(now, datetime):
        return now - timedelta(seconds=tier.max_age_seconds)
    return AddSeconds(now, -tier.max_age_seconds)  # `now` is a parameter of a prepared statement


def _sql_line(
    rule: str, label: str, points: ColumnElement[int], cap: int, count: Any = None, each: int | None = None
) -> ColumnElement[Any]:
    """A `RuleLine.as_dict()` as jsonb, its text written as `str(RuleLine)` writes it."""
    if count is not None and each is not None:
        text = sa.func.concat(f"{label} ", count, f" x {each} = ", points, f" / {cap}")
    else:
        text = sa.func.concat(f"{label} ", points, f" / {cap}")
    return sa.func.jsonb_build_object(
        "rule", rule, "label", label, "points", points, "cap", cap,
        "count", count if count is not None else sa.null(), "each", each if each is not None else sa.null(),
        "text", text,
    )  # fmt: skip


def _sql_iso_utc(moment: ColumnElement[datetime]) -> ColumnElement[str]:
    """`datetime.isoformat()` of a UTC time, in PostgreSQL (microseconds only when there are any)."""
    utc = sa.func.timezone("UTC", moment)
    whole = sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
    micro = sa.func.to_char(utc, "US")
    has_micro = sa.func.mod(sa.cast(sa.func.date_part("microseconds", moment), sa.BigInteger), 1_000_000) != 0
    return sa.case(
        (moment.is_(None), sa.null()),
        (has_micro, sa.func.concat(whole, ".", micro, "+00:00")),
        else_=sa.func.concat(whole, "+00:00"),
    )


# ---- a timestamp plus a constant number of seconds, in each dialect ----------------------


class AddSeconds(FunctionElement[datetime]):
    """`timestamp + N seconds`, keeping the column's type (and so its UTC handling)."""

    inherit_cache = True
    name = "add_seconds"

    def __init__(self, timestamp: Any, seconds: int) -> None:
        # The seconds are a trusted integer from a validated rule set, inlined as a literal.
        super().__init__(timestamp, sa.literal_column(str(int(seconds))))
        self.type = timestamp.type


@compiles(AddSeconds, "postgresql")
def _add_seconds_pg(element: AddSeconds, compiler: Any, **kw: Any) -> str:
    timestamp, seconds = element.clauses
    return f"({compiler.process(timestamp, **kw)} + make_interval(secs => {compiler.process(seconds, **kw)}))"


@compiles(AddSeconds, "sqlite")
def _add_seconds_sqlite(element: AddSeconds, compiler: Any, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'. SQLite's date
    # functions keep milliseconds only, so the whole seconds go through strftime and the
    # microseconds are carried over as text: exact to the microsecond.
    timestamp, seconds = element.clauses
    ts = compiler.process(timestamp, **kw)
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', substr({ts}, 1, 19), '+{compiler.process(seconds, **kw)} seconds')"
        f" || substr({ts}, 20))"
    )


class AtMost(FunctionElement[int]):
    """`min(value, upper)`, evaluating `value` once: LEAST on PostgreSQL, MIN on SQLite."""

    inherit_cache = True
    name = "at_most"
    type = sa.Integer()

    def __init__(self, value: Any, upper: int) -> None:
        super().__init__(value, sa.literal_column(str(int(upper))))


@compiles(AtMost, "postgresql")
def _at_most_pg(element: AtMost, compiler: Any, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"


@compiles(AtMost, "sqlite")
def _at_most_sqlite(element: AtMost, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


_RULE_NAMES = (
    "qr_scans", "catalog_views", "messages", "voice_bonus",
    "phone", "budget", "transaction_type", "property_type", "location", "payment_method",
    "recency",
)  # fmt: skip
_ENGAGEMENT = _RULE_NAMES[:4]
_QUALIFICATION = _RULE_NAMES[4:10]

DEFAULT_RULES = RuleSet()


@dataclass(frozen=True, slots=True)
class LineGroup:
    """A part of the breakdown (engagement, qualification, recency): its points out of its own
    maximum under the rule set that scored it (the sum of its lines' caps)."""

    name: str
    points: int
    maximum: int
    lines: tuple[Any, ...]  # RuleLine, or a stored breakdown's line dict


_GROUPS = (("engagement", _ENGAGEMENT), ("qualification", _QUALIFICATION), ("recency", ("recency",)))


def line_groups(lines: Sequence[Any]) -> list[LineGroup]:
    """The lines of a breakdown (`Score.lines` or a stored breakdown's `rules`) in their groups."""

    def get(line: Any, name: str) -> Any:
        return line[name] if isinstance(line, Mapping) else getattr(line, name)

    groups = []
    for name, rules in _GROUPS:
        members = tuple(line for line in lines if get(line, "rule") in rules)
        groups.append(
            LineGroup(
                name,
                sum(int(get(line, "points")) for line in members),
                sum(int(get(line, "cap")) for line in members),
                members,
            )
        )
    return groups
