"""The scoring rule of SCORING.md, checked row by row against `app.domain.scoring`.

Pure Python: no database, no clock. Every time is timezone-aware UTC.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.scoring import (
    DEFAULT_RULES,
    LeadState,
    RecencyTier,
    RuleSet,
    RuleSetError,
    Temperature,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)


def at(hour: int, minute: int = 0) -> datetime:
    """A moment of the expo day (2 March 2026, UTC)."""
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


NOW = at(12)
PHONE = "+971501234567"

ALL_SIX = dict(
    phone=PHONE,
    budget_min=1_000_000,
    budget_max=2_000_000,
    transaction_type="buy",
    property_type="villa",
    location="Dubai Marina",
    payment_method="mortgage",
)


def parts(score: Any) -> tuple[int, int, int]:
    return (score.engagement, score.qualification, score.recency)


def texts(score: Any) -> list[str]:
    return [str(line) for line in score.lines]


# ---- worked examples ----------------------------------------------------------------------

# The expo timeline of SCORING.md, one state per step, each cumulative on the previous one.
EXPO_1000 = LeadState(qr_scan_count=1, last_interaction_at=at(10, 0))
EXPO_1005 = dataclasses.replace(EXPO_1000, catalog_views=1, last_interaction_at=at(10, 5))
EXPO_1010_MESSAGE = dataclasses.replace(EXPO_1005, messages_count=1, last_interaction_at=at(10, 10))
# The phone arrives through the share-contact button: an interaction, not a message.
EXPO_1010_PHONE = dataclasses.replace(EXPO_1010_MESSAGE, phone=PHONE)
EXPO_1015 = dataclasses.replace(EXPO_1010_PHONE, budget_max=1_500_000, last_interaction_at=at(10, 15))
EXPO_1020 = dataclasses.replace(
    EXPO_1015,
    property_type="apartment",
    location="Downtown",
    transaction_type="buy",
    last_interaction_at=at(10, 20),
)
EXPO_1025 = dataclasses.replace(
    EXPO_1020, messages_count=2, voice_messages_count=1, last_interaction_at=at(10, 25)
)

WORKED_EXAMPLES = [
    pytest.param(
        LeadState(messages_count=1, last_interaction_at=NOW),
        NOW,
        21,
        Temperature.COLD,
        (1, 0, 20),
        id="new lead says Hello",
    ),
    pytest.param(
        LeadState(qr_scan_count=2, messages_count=5, phone=PHONE, budget_max=900_000),
        NOW,
        31,
        Temperature.WARM,
        (11, 20, 0),
        id="seed troubleshooting lead",
    ),
    pytest.param(
        LeadState(qr_scan_count=2, messages_count=5, phone=PHONE, budget_max=900_000),
        NOW + 400 * DAY,
        31,
        Temperature.WARM,
        (11, 20, 0),
        id="seed troubleshooting lead, much later",
    ),
    pytest.param(EXPO_1000, at(10, 0), 23, Temperature.COLD, (3, 0, 20), id="expo 10:00"),
    pytest.param(EXPO_1005, at(10, 5), 25, Temperature.WARM, (5, 0, 20), id="expo 10:05"),
    pytest.param(EXPO_1010_MESSAGE, at(10, 10), 26, Temperature.WARM, (6, 0, 20), id="expo 10:10 message"),
    pytest.param(EXPO_1010_PHONE, at(10, 10), 36, Temperature.WARM, (6, 10, 20), id="expo 10:10 phone"),
    pytest.param(EXPO_1015, at(10, 15), 46, Temperature.WARM, (6, 20, 20), id="expo 10:15"),
    pytest.param(EXPO_1020, at(10, 20), 61, Temperature.HOT, (6, 35, 20), id="expo 10:20"),
    pytest.param(EXPO_1025, at(10, 25), 67, Temperature.HOT, (12, 35, 20), id="expo 10:25"),
    pytest.param(EXPO_1025, at(11, 25), 62, Temperature.HOT, (12, 35, 15), id="same lead silent 11:25"),
    pytest.param(
        EXPO_1025,
        at(10, 25) + 13 * DAY,
        47,
        Temperature.WARM,
        (12, 35, 0),
        id="same lead silent 13 days later",
    ),
    pytest.param(
        LeadState(
            qr_scan_count=5,
            catalog_views=5,
            messages_count=10,
            voice_messages_count=1,
            last_interaction_at=NOW - 59 * timedelta(minutes=1),
            **ALL_SIX,
        ),
        NOW,
        100,
        Temperature.BURNING,
        (40, 40, 20),
        id="everything maxed, exactly at caps",
    ),
    pytest.param(
        LeadState(
            qr_scan_count=12,
            catalog_views=30,
            messages_count=250,
            voice_messages_count=4,
            last_interaction_at=NOW,
            **ALL_SIX,
        ),
        NOW,
        100,
        Temperature.BURNING,
        (40, 40, 20),
        id="everything maxed, over the caps",
    ),
    pytest.param(
        LeadState(messages_count=40, last_interaction_at=NOW - 2 * HOUR),
        NOW,
        25,
        Temperature.WARM,
        (10, 0, 15),
        id="40 messages 2 h ago",
    ),
]


@pytest.mark.parametrize(("state", "now", "total", "temperature", "subtotals"), WORKED_EXAMPLES)
def test_worked_example(
    state: LeadState, now: datetime, total: int, temperature: Temperature, subtotals: tuple[int, int, int]
) -> None:
    score = DEFAULT_RULES.score(state, now)
    assert score.total == total
    assert score.temperature is temperature
    assert parts(score) == subtotals


def test_silence_lowers_the_expo_lead_step_by_step() -> None:
    """SCORING.md, Time: 67 a minute after, 62 an hour later, 57 after 6 h, 52 after a day, 47 after 3 d."""
    last = EXPO_1025.last_interaction_at
    assert last is not None
    expected = [
        (timedelta(minutes=1), 67, Temperature.HOT),
        (HOUR + timedelta(minutes=1), 62, Temperature.HOT),
        (6 * HOUR + timedelta(minutes=1), 57, Temperature.HOT),
        (DAY + timedelta(minutes=1), 52, Temperature.HOT),
        (3 * DAY + timedelta(minutes=1), 47, Temperature.WARM),
    ]
    for elapsed, total, temperature in expected:
        score = DEFAULT_RULES.score(EXPO_1025, last + elapsed)
        assert (score.total, score.temperature) == (total, temperature), elapsed


# ---- exact boundaries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (timedelta(0), 20),
        (HOUR - TICK, 20),
        (HOUR, 15),
        (6 * HOUR - TICK, 15),
        (6 * HOUR, 10),
        (24 * HOUR - TICK, 10),
        (24 * HOUR, 5),
        (72 * HOUR - TICK, 5),
        (72 * HOUR, 0),
        (365 * DAY, 0),
    ],
)
def test_recency_tier_boundaries_are_exact(age: timedelta, points: int) -> None:
    state = LeadState(last_interaction_at=NOW - age)
    score = DEFAULT_RULES.score(state, NOW)
    assert score.recency == points
    assert score.total == points
    assert DEFAULT_RULES.recency_points(state.last_interaction_at, NOW) == points


def test_age_exactly_one_hour_gives_15_not_20() -> None:
    score = DEFAULT_RULES.score(LeadState(messages_count=1, last_interaction_at=at(9)), at(10))
    assert score.recency == 15
    assert score.total == 16


@pytest.mark.parametrize(
    ("total", "temperature"),
    [
        (0, Temperature.COLD),
        (24, Temperature.COLD),
        (25, Temperature.WARM),
        (49, Temperature.WARM),
        (50, Temperature.HOT),
        (69, Temperature.HOT),
        (70, Temperature.BURNING),
        (100, Temperature.BURNING),
    ],
)
def test_temperature_thresholds_are_exact(total: int, temperature: Temperature) -> None:
    assert DEFAULT_RULES.temperature_of(total) is temperature


@pytest.mark.parametrize(
    ("state", "total", "temperature"),
    [
        # 40 qualification + 5 QR (15) + age 1 h (15)
        (LeadState(qr_scan_count=5, last_interaction_at=NOW - HOUR, **ALL_SIX), 70, Temperature.BURNING),
        # 40 qualification + 3 QR (9) + just now (20)
        (LeadState(qr_scan_count=3, last_interaction_at=NOW, **ALL_SIX), 69, Temperature.HOT),
        # 40 qualification + 5 catalog views (10), never interacted
        (LeadState(catalog_views=5, **ALL_SIX), 50, Temperature.HOT),
        # 40 qualification + 9 messages, never interacted
        (LeadState(messages_count=9, **ALL_SIX), 49, Temperature.WARM),
        # 40 messages (10) + 2 h ago (15)
        (LeadState(messages_count=40, last_interaction_at=NOW - 2 * HOUR), 25, Temperature.WARM),
        # 4 messages + just now (20)
        (LeadState(messages_count=4, last_interaction_at=NOW), 24, Temperature.COLD),
    ],
)
def test_scores_on_a_threshold_get_the_right_temperature(
    state: LeadState, total: int, temperature: Temperature
) -> None:
    score = DEFAULT_RULES.score(state, NOW)
    assert score.total == total
    assert score.temperature is temperature


def test_never_interacted_has_no_recency_and_no_boundary() -> None:
    state = LeadState(qr_scan_count=1, messages_count=3, phone=PHONE)
    for now in (NOW, NOW + HOUR, NOW + 1000 * DAY):
        score = DEFAULT_RULES.score(state, now)
        assert score.recency == 0
        assert score.total == 3 + 3 + 10
        assert score.next_boundary is None
        assert score.score_after_boundary is None


def test_empty_lead_scores_zero_and_is_cold() -> None:
    score = DEFAULT_RULES.score(LeadState(), NOW)
    assert (score.total, parts(score), score.temperature) == (0, (0, 0, 0), Temperature.COLD)


@pytest.mark.parametrize("blank", ["", " ", "   ", "\t", "\n \t "])
def test_blank_location_counts_as_unset(blank: str) -> None:
    score = DEFAULT_RULES.score(LeadState(location=blank), NOW)
    assert score.qualification == 0
    assert score.total == 0


@pytest.mark.parametrize("location", ["Dubai Marina", " JVC ", "x"])
def test_location_with_text_counts(location: str) -> None:
    score = DEFAULT_RULES.score(LeadState(location=location), NOW)
    assert score.qualification == 5
    assert score.total == 5


@pytest.mark.parametrize(
    ("budget_min", "budget_max", "points"),
    [
        (None, None, 0),
        (500_000, None, 10),
        (None, 750_000, 10),
        (500_000, 750_000, 10),
        (1, None, 10),
        (None, 1, 10),
        (0, None, 0),
        (None, 0, 0),
        (0, 0, 0),
        (0, 750_000, 10),
        (500_000, 0, 10),
    ],
)
def test_budget_counts_when_either_end_is_positive(
    budget_min: int | None, budget_max: int | None, points: int
) -> None:
    score = DEFAULT_RULES.score(LeadState(budget_min=budget_min, budget_max=budget_max), NOW)
    assert score.qualification == points
    assert score.total == points


@pytest.mark.parametrize(
    ("field_name", "value", "points"),
    [
        ("phone", PHONE, 10),
        ("transaction_type", "rent", 5),
        ("property_type", "penthouse", 5),
        ("location", "Palm Jumeirah", 5),
        ("payment_method", "installments", 5),
    ],
)
def test_each_qualification_field_alone(field_name: str, value: str, points: int) -> None:
    score = DEFAULT_RULES.score(LeadState(**{field_name: value}), NOW)
    assert score.qualification == points
    assert score.total == points


@pytest.mark.parametrize("voice_notes", [1, 2, 3, 10, 500])
def test_voice_bonus_is_given_once(voice_notes: int) -> None:
    # 20 messages (capped at 10) of which some are voice: 10 + the one-time 5.
    score = DEFAULT_RULES.score(LeadState(messages_count=20, voice_messages_count=voice_notes), NOW)
    assert score.engagement == 15
    assert score.total == 15


def test_no_voice_no_bonus() -> None:
    score = DEFAULT_RULES.score(LeadState(messages_count=3, voice_messages_count=0), NOW)
    assert score.engagement == 3


def test_a_voice_message_is_also_a_message() -> None:
    before = DEFAULT_RULES.score(LeadState(messages_count=1), NOW)
    after = DEFAULT_RULES.score(LeadState(messages_count=2, voice_messages_count=1), NOW)
    assert after.engagement - before.engagement == 1 + 5


@pytest.mark.parametrize(
    ("counters", "engagement"),
    [
        (dict(qr_scan_count=1), 3),
        (dict(qr_scan_count=4), 12),
        (dict(qr_scan_count=5), 15),
        (dict(qr_scan_count=6), 15),
        (dict(qr_scan_count=1_000), 15),
        (dict(catalog_views=1), 2),
        (dict(catalog_views=4), 8),
        (dict(catalog_views=5), 10),
        (dict(catalog_views=6), 10),
        (dict(catalog_views=10_000), 10),
        (dict(messages_count=9), 9),
        (dict(messages_count=10), 10),
        (dict(messages_count=11), 10),
        (dict(messages_count=40), 10),
        (dict(messages_count=10**9), 10),
        (dict(qr_scan_count=100, catalog_views=100, messages_count=100), 35),
        (dict(qr_scan_count=100, catalog_views=100, messages_count=100, voice_messages_count=100), 40),
    ],
)
def test_engagement_caps(counters: dict[str, int], engagement: int) -> None:
    score = DEFAULT_RULES.score(LeadState(**counters), NOW)
    assert score.engagement == engagement
    assert score.total == engagement


def test_total_is_clamped_to_100() -> None:
    rules = RuleSet(phone_points=90, budget_points=90)
    state = LeadState(phone=PHONE, budget_min=1, last_interaction_at=NOW)
    score = rules.score(state, NOW)
    assert score.qualification == 180
    assert score.total == 100
    assert score.temperature is Temperature.BURNING
    assert score.score_after_boundary == 100


def test_a_late_timestamp_in_the_future_still_gets_the_first_tier() -> None:
    # last_interaction_at slightly after now (clock skew): the freshest tier, boundary 1 h after it.
    last = NOW + timedelta(seconds=5)
    score = DEFAULT_RULES.score(LeadState(last_interaction_at=last), NOW)
    assert score.recency == 20
    assert score.next_boundary == last + HOUR


# ---- the breakdown -------------------------------------------------------------------------


def test_breakdown_lines_of_the_expo_lead() -> None:
    score = DEFAULT_RULES.score(EXPO_1025, at(10, 25))
    assert texts(score) == [
        "qr scans 1 x 3 = 3 / 15",
        "catalog views 1 x 2 = 2 / 10",
        "messages 2 x 1 = 2 / 10",
        "voice bonus 5 / 5",
        "phone 10 / 10",
        "budget 10 / 10",
        "transaction type 5 / 5",
        "property type 5 / 5",
        "location 5 / 5",
        "payment method 0 / 5",
        "recency 20 / 20",
    ]
    assert [line.rule for line in score.lines] == [
        "qr_scans",
        "catalog_views",
        "messages",
        "voice_bonus",
        "phone",
        "budget",
        "transaction_type",
        "property_type",
        "location",
        "payment_method",
        "recency",
    ]


def test_breakdown_line_from_the_spec() -> None:
    score = DEFAULT_RULES.score(LeadState(qr_scan_count=2), NOW)
    assert "qr scans 2 x 3 = 6 / 15" in texts(score)


def test_breakdown_lines_show_capped_points_and_empty_rules() -> None:
    score = DEFAULT_RULES.score(
        LeadState(qr_scan_count=7, catalog_views=0, messages_count=40, last_interaction_at=NOW - 2 * HOUR),
        NOW,
    )
    assert texts(score) == [
        "qr scans 7 x 3 = 15 / 15",
        "catalog views 0 x 2 = 0 / 10",
        "messages 40 x 1 = 10 / 10",
        "voice bonus 0 / 5",
        "phone 0 / 10",
        "budget 0 / 10",
        "transaction type 0 / 5",
        "property type 0 / 5",
        "location 0 / 5",
        "payment method 0 / 5",
        "recency 15 / 20",
    ]


@pytest.mark.parametrize(
    ("state", "now"),
    [
        (EXPO_1025, at(10, 25)),
        (EXPO_1025, at(10, 25) + 2 * DAY),
        (LeadState(**ALL_SIX, qr_scan_count=9, messages_count=3, last_interaction_at=NOW), NOW),
        (LeadState(), NOW),
    ],
)
def test_breakdown_lines_add_up_to_the_subtotals(state: LeadState, now: datetime) -> None:
    score = DEFAULT_RULES.score(state, now)
    by_rule = {line.rule: line.points for line in score.lines}
    assert score.engagement == sum(
        by_rule[r] for r in ("qr_scans", "catalog_views", "messages", "voice_bonus")
    )
    assert score.qualification == sum(
        by_rule[r]
        for r in ("phone", "budget", "transaction_type", "property_type", "location", "payment_method")
    )
    assert score.recency == by_rule["recency"]
    assert score.total == score.engagement + score.qualification + score.recency
    for line in score.lines:
        assert 0 <= line.points <= line.cap


def test_next_boundary_drops_to_62_at_1125() -> None:
    """SCORING.md: a lead at 67 at 10:25 'drops to 62 at 11:25'."""
    for now in (at(10, 25), at(10, 26), at(11, 24)):
        score = DEFAULT_RULES.score(EXPO_1025, now)
        assert score.total == 67
        assert score.next_boundary == at(11, 25)
        assert score.score_after_boundary == 62


def test_next_boundaries_walk_through_every_tier() -> None:
    last = at(10, 25)
    steps = [
        # (now, total now, next boundary, score after it)
        (last, 67, last + HOUR, 62),
        (last + HOUR, 62, last + 6 * HOUR, 57),
        (last + 6 * HOUR, 57, last + 24 * HOUR, 52),
        (last + 24 * HOUR, 52, last + 72 * HOUR, 47),
        (last + 72 * HOUR, 47, None, None),
        (last + 13 * DAY, 47, None, None),
    ]
    for now, total, boundary, after in steps:
        score = DEFAULT_RULES.score(EXPO_1025, now)
        assert (score.total, score.next_boundary, score.score_after_boundary) == (total, boundary, after), now
    assert DEFAULT_RULES.next_boundary(last, last + 30 * timedelta(minutes=1)) == last + HOUR
    assert DEFAULT_RULES.next_boundary(None, last) is None


def test_score_after_boundary_can_change_temperature() -> None:
    # 30 + 20 = 50 (hot) until 1 h, then 45 (warm).
    state = LeadState(
        phone=PHONE, budget_min=1, transaction_type="buy", property_type="studio", last_interaction_at=NOW
    )
    score = DEFAULT_RULES.score(state, NOW + timedelta(minutes=10))
    assert (score.total, score.temperature) == (50, Temperature.HOT)
    assert score.next_boundary == NOW + HOUR
    assert score.score_after_boundary == 45
    assert DEFAULT_RULES.temperature_of(score.score_after_boundary) is Temperature.WARM


def test_as_dict_is_json_serialisable() -> None:
    score = DEFAULT_RULES.score(EXPO_1025, at(10, 25))
    data = json.loads(json.dumps(score.as_dict()))
    assert data["total"] == 67
    assert data["temperature"] == "hot"
    assert (data["engagement"], data["qualification"], data["recency"]) == (12, 35, 20)
    assert datetime.fromisoformat(data["next_boundary"]) == at(11, 25)
    assert data["score_after_boundary"] == 62
    assert [rule["text"] for rule in data["rules"]] == texts(score)
    qr = data["rules"][0]
    assert (qr["rule"], qr["points"], qr["cap"], qr["count"], qr["each"]) == ("qr_scans", 3, 15, 1, 3)


def test_as_dict_without_a_boundary_is_json_serialisable() -> None:
    data = json.loads(json.dumps(DEFAULT_RULES.score(LeadState(phone=PHONE), NOW).as_dict()))
    assert data["total"] == 10
    assert data["temperature"] == "cold"
    assert data["next_boundary"] is None
    assert data["score_after_boundary"] is None


# ---- rule sets: validation -----------------------------------------------------------------

INT_FIELDS = [f.name for f in dataclasses.fields(RuleSet) if f.name != "recency_tiers"]


def test_defaults_are_the_spec_default_rule_set() -> None:
    assert DEFAULT_RULES == RuleSet()
    assert DEFAULT_RULES.to_dict() == {
        "qr_scan_points": 3,
        "qr_scan_cap": 15,
        "catalog_view_points": 2,
        "catalog_view_cap": 10,
        "message_points": 1,
        "message_cap": 10,
        "voice_bonus": 5,
        "phone_points": 10,
        "budget_points": 10,
        "transaction_type_points": 5,
        "property_type_points": 5,
        "location_points": 5,
        "payment_method_points": 5,
        "recency_tiers": [
            {"max_age_seconds": 3600, "points": 20},
            {"max_age_seconds": 6 * 3600, "points": 15},
            {"max_age_seconds": 24 * 3600, "points": 10},
            {"max_age_seconds": 72 * 3600, "points": 5},
        ],
        "burning_threshold": 70,
        "hot_threshold": 50,
        "warm_threshold": 25,
    }


def test_rule_set_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULES.qr_scan_points = 4  # type: ignore[misc]


def refused_both_ways(field_name: str, **overrides: Any) -> None:
    """`overrides` is refused naming `field_name`, by the constructor and by `from_dict`."""
    with pytest.raises(RuleSetError) as by_constructor:
        RuleSet(**overrides)
    assert by_constructor.value.field == field_name
    assert field_name in str(by_constructor.value)

    data = {**overrides}
    if "recency_tiers" in data:
        data["recency_tiers"] = [
            {"max_age_seconds": t.max_age_seconds, "points": t.points} for t in data["recency_tiers"]
        ]
    with pytest.raises(RuleSetError) as by_dict:
        RuleSet.from_dict(data)
    assert by_dict.value.field == field_name


@pytest.mark.parametrize("field_name", INT_FIELDS)
@pytest.mark.parametrize("bad", [-1, -100, True, False, 1.0, 2.5, "3", None, [3]])
def test_every_number_must_be_a_non_negative_integer(field_name: str, bad: Any) -> None:
    refused_both_ways(field_name, **{field_name: bad})


@pytest.mark.parametrize("field_name", [f for f in INT_FIELDS if not f.endswith("_threshold")])
def test_zero_points_are_allowed(field_name: str) -> None:
    rules = RuleSet(**{field_name: 0})
    assert getattr(rules, field_name) == 0
    assert RuleSet.from_dict({field_name: 0}) == rules


@pytest.mark.parametrize("part", ["max_age_seconds", "points"])
@pytest.mark.parametrize("bad", [-1, True, 1.5, "60", None])
def test_tier_values_must_be_non_negative_integers(part: str, bad: Any) -> None:
    tiers = [RecencyTier(3600, 20), RecencyTier(7200, 10)]
    good = tiers[1]
    tiers[1] = RecencyTier(**{**dataclasses.asdict(good), part: bad})
    refused_both_ways(f"recency_tiers[1].{part}", recency_tiers=tuple(tiers))


@pytest.mark.parametrize(
    ("ages", "bad_index"),
    [
        ([3600, 3600], 1),
        ([3600, 1800], 1),
        ([3600, 7200, 7200], 2),
        ([3600, 7200, 5000, 9000], 2),
        ([3600, 6 * 3600, 24 * 3600, 24 * 3600 - 1], 3),
    ],
)
def test_tier_ages_must_be_strictly_increasing(ages: list[int], bad_index: int) -> None:
    tiers = tuple(RecencyTier(age, 10) for age in ages)
    refused_both_ways(f"recency_tiers[{bad_index}].max_age_seconds", recency_tiers=tiers)


def test_one_tier_and_increasing_tier_points_are_allowed() -> None:
    assert RuleSet(recency_tiers=(RecencyTier(60, 7),)).max_recency_points == 7
    rules = RuleSet(recency_tiers=(RecencyTier(60, 1), RecencyTier(120, 9)))
    assert rules.recency_points(NOW - timedelta(seconds=90), NOW) == 9


@pytest.mark.parametrize(
    ("overrides", "field_names"),
    [
        # Only one threshold moved, out of order: the moved field or its neighbour is named.
        (dict(hot_threshold=70), {"hot_threshold", "burning_threshold"}),
        (dict(hot_threshold=75), {"hot_threshold", "burning_threshold"}),
        (dict(hot_threshold=25), {"warm_threshold", "hot_threshold"}),
        (dict(hot_threshold=10), {"warm_threshold", "hot_threshold"}),
        (dict(warm_threshold=50), {"warm_threshold", "hot_threshold"}),
        (dict(warm_threshold=60), {"warm_threshold", "hot_threshold"}),
        (dict(burning_threshold=50), {"hot_threshold", "burning_threshold"}),
        (dict(burning_threshold=40), {"hot_threshold", "burning_threshold"}),
        # Outside 0..100.
        (dict(burning_threshold=101), {"burning_threshold"}),
        (dict(burning_threshold=500), {"burning_threshold"}),
        (dict(warm_threshold=-1), {"warm_threshold"}),
        # All equal.
        (dict(warm_threshold=50, hot_threshold=50, burning_threshold=50), {"warm_threshold"}),
    ],
)
def test_thresholds_must_increase_strictly_inside_0_to_100(
    overrides: dict[str, int], field_names: set[str]
) -> None:
    with pytest.raises(RuleSetError) as by_constructor:
        RuleSet(**overrides)
    assert by_constructor.value.field in field_names
    with pytest.raises(RuleSetError) as by_dict:
        RuleSet.from_dict(overrides)
    assert by_dict.value.field == by_constructor.value.field


def test_hot_threshold_not_below_burning_names_hot_threshold() -> None:
    refused_both_ways("hot_threshold", hot_threshold=80)


@pytest.mark.parametrize(
    "thresholds",
    [
        dict(warm_threshold=0, hot_threshold=1, burning_threshold=2),
        dict(warm_threshold=98, hot_threshold=99, burning_threshold=100),
        dict(warm_threshold=0, hot_threshold=50, burning_threshold=100),
    ],
)
def test_thresholds_at_the_edges_of_0_to_100_are_allowed(thresholds: dict[str, int]) -> None:
    rules = RuleSet(**thresholds)
    assert RuleSet.from_dict(thresholds) == rules
    assert rules.temperature_of(thresholds["burning_threshold"]) is Temperature.BURNING
    assert rules.temperature_of(thresholds["burning_threshold"] - 1) is Temperature.HOT


@pytest.mark.parametrize("key", ["qr_points", "voice", "cold_threshold", "recency", "RECENCY_TIERS", ""])
def test_from_dict_refuses_unknown_keys(key: str) -> None:
    with pytest.raises(RuleSetError) as exc:
        RuleSet.from_dict({key: 3})
    assert exc.value.field == key


def test_from_dict_refuses_an_unknown_key_beside_good_ones() -> None:
    with pytest.raises(RuleSetError) as exc:
        RuleSet.from_dict({**DEFAULT_RULES.to_dict(), "bonus_points": 1})
    assert exc.value.field == "bonus_points"


@pytest.mark.parametrize(
    ("tiers", "field_name"),
    [
        ("3600:20", "recency_tiers"),
        (3600, "recency_tiers"),
        ({"max_age_seconds": 3600, "points": 20}, "recency_tiers"),
        ([{"max_age_seconds": 3600}], "recency_tiers[0]"),
        ([{"max_age_seconds": 3600, "points": 20}, {"points": 10}], "recency_tiers[1]"),
        ([{"max_age_seconds": 3600, "points": 20, "extra": 1}], "recency_tiers[0]"),
        ([[3600, 20]], "recency_tiers[0]"),
        ([{"max_age_seconds": 3600.0, "points": 20}], "recency_tiers[0].max_age_seconds"),
        ([{"max_age_seconds": 3600, "points": False}], "recency_tiers[0].points"),
        ([{"max_age_seconds": 3600, "points": "20"}], "recency_tiers[0].points"),
    ],
)
def test_from_dict_refuses_malformed_tiers(tiers: Any, field_name: str) -> None:
    with pytest.raises(RuleSetError) as exc:
        RuleSet.from_dict({"recency_tiers": tiers})
    assert exc.value.field == field_name


@pytest.mark.parametrize("data", [[], "rules", 3, None])
def test_from_dict_refuses_a_non_object(data: Any) -> None:
    with pytest.raises(RuleSetError):
        RuleSet.from_dict(data)


def test_rule_set_error_carries_field_and_message() -> None:
    with pytest.raises(RuleSetError) as exc:
        RuleSet(message_cap=-3)
    assert isinstance(exc.value, ValueError)
    assert exc.value.field == "message_cap"
    assert exc.value.message
    assert str(exc.value).startswith("message_cap")


# ---- rule sets: round trip and custom rules ------------------------------------------------

CUSTOM = RuleSet(
    qr_scan_points=5,
    qr_scan_cap=20,
    catalog_view_points=0,
    catalog_view_cap=0,
    message_points=2,
    message_cap=6,
    voice_bonus=0,
    phone_points=20,
    budget_points=0,
    transaction_type_points=1,
    property_type_points=2,
    location_points=3,
    payment_method_points=4,
    recency_tiers=(RecencyTier(600, 30), RecencyTier(86_400, 10)),
    warm_threshold=10,
    hot_threshold=40,
    burning_threshold=60,
)


@pytest.mark.parametrize("rules", [DEFAULT_RULES, CUSTOM, RuleSet(hot_threshold=60, voice_bonus=0)])
def test_from_dict_of_to_dict_round_trips(rules: RuleSet) -> None:
    data = rules.to_dict()
    assert RuleSet.from_dict(data) == rules
    assert RuleSet.from_dict(json.loads(json.dumps(data))) == rules


def test_from_dict_keeps_defaults_for_missing_keys() -> None:
    rules = RuleSet.from_dict({"hot_threshold": 60})
    assert rules.hot_threshold == 60
    assert rules == dataclasses.replace(DEFAULT_RULES, hot_threshold=60)
    assert RuleSet.from_dict({}) == DEFAULT_RULES


def test_custom_rule_set_scores_with_its_own_numbers() -> None:
    last = NOW
    state = LeadState(
        qr_scan_count=3,  # 3 x 5 = 15 / 20
        catalog_views=9,  # 0 / 0
        messages_count=5,  # 5 x 2 = 10, capped at 6
        voice_messages_count=2,  # bonus 0
        phone=PHONE,  # 20
        budget_max=1_000,  # 0
        location="Marina",  # 3
        payment_method="cash",  # 4
        last_interaction_at=last,
    )
    fresh = CUSTOM.score(state, last + timedelta(minutes=5))
    assert parts(fresh) == (21, 27, 30)
    assert (fresh.total, fresh.temperature) == (78, Temperature.BURNING)
    assert fresh.next_boundary == last + timedelta(seconds=600)
    assert fresh.score_after_boundary == 58
    assert "qr scans 3 x 5 = 15 / 20" in texts(fresh)
    assert "messages 5 x 2 = 6 / 6" in texts(fresh)
    assert "recency 30 / 30" in texts(fresh)

    at_ten_minutes = CUSTOM.score(state, last + timedelta(seconds=600))
    assert (at_ten_minutes.total, at_ten_minutes.temperature) == (58, Temperature.HOT)
    assert at_ten_minutes.next_boundary == last + DAY
    assert at_ten_minutes.score_after_boundary == 48

    a_day_later = CUSTOM.score(state, last + DAY)
    assert (a_day_later.total, a_day_later.temperature) == (48, Temperature.HOT)
    assert a_day_later.next_boundary is None

    bare = CUSTOM.score(LeadState(messages_count=4), NOW)
    assert (bare.total, bare.temperature) == (6, Temperature.COLD)
    assert CUSTOM.temperature_of(10) is Temperature.WARM
    assert CUSTOM.temperature_of(39) is Temperature.WARM
    assert CUSTOM.temperature_of(40) is Temperature.HOT
    assert CUSTOM.temperature_of(59) is Temperature.HOT
    assert CUSTOM.temperature_of(60) is Temperature.BURNING


def test_same_lead_scores_differently_under_two_rule_sets() -> None:
    stricter = RuleSet.from_dict({"warm_threshold": 30, "hot_threshold": 60, "burning_threshold": 80})
    state = LeadState(messages_count=40, last_interaction_at=NOW - 2 * HOUR)
    assert DEFAULT_RULES.score(state, NOW).temperature is Temperature.WARM
    assert stricter.score(state, NOW).total == 25
    assert stricter.score(state, NOW).temperature is Temperature.COLD
