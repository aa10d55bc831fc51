"""Properties of the scoring rule (SCORING.md) over random leads, times and valid rule sets."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.scoring import (
    DEFAULT_RULES,
    MAX_POINTS,
    MAX_RECENCY_TIERS,
    MAX_TIER_AGE_SECONDS,
    LeadState,
    RecencyTier,
    RuleSet,
    Temperature,
)

FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

COUNTERS = ("qr_scan_count", "catalog_views", "messages_count", "voice_messages_count")
TEXT_FIELDS = ("phone", "transaction_type", "property_type", "location", "payment_method")
DEFAULT_AGES = (3600, 6 * 3600, 24 * 3600, 72 * 3600)
BASE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)

# ---- strategies ---------------------------------------------------------------------------

nows = st.integers(min_value=0, max_value=400 * 24 * 3600 * 1_000_000).map(
    lambda us: BASE + timedelta(microseconds=us)
)

# Ages around the default boundaries are drawn often, so exact boundaries get exercised.
ages_seconds = st.one_of(
    st.integers(min_value=-3600, max_value=400 * 24 * 3600),
    st.sampled_from(DEFAULT_AGES).flatmap(lambda a: st.integers(a - 2, a + 2)),
    st.integers(min_value=0, max_value=MAX_TIER_AGE_SECONDS + 10),
)

counter = st.one_of(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=10**9))
maybe_text = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t \n"]),
    st.sampled_from(["+971501234567", "buy", "villa", "Dubai Marina", "cash", " x "]),
)
maybe_budget = st.one_of(st.none(), st.just(0), st.integers(min_value=-5, max_value=10**10))
set_text = st.sampled_from(["+971501234567", "rent", "studio", "JVC", "mortgage", " y "])
set_budget = st.integers(min_value=1, max_value=10**10)


@st.composite
def last_interactions(draw: st.DrawFn, now: datetime) -> datetime | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    seconds = draw(ages_seconds)
    micro = draw(st.sampled_from([0, 0, 1, 999_999]))
    return now - timedelta(seconds=seconds, microseconds=micro)


@st.composite
def leads(draw: st.DrawFn, now: datetime) -> LeadState:
    return LeadState(
        qr_scan_count=draw(counter),
        catalog_views=draw(counter),
        messages_count=draw(counter),
        voice_messages_count=draw(counter),
        phone=draw(maybe_text),
        budget_min=draw(maybe_budget),
        budget_max=draw(maybe_budget),
        transaction_type=draw(maybe_text),
        property_type=draw(maybe_text),
        location=draw(maybe_text),
        payment_method=draw(maybe_text),
        last_interaction_at=draw(last_interactions(now)),
    )


points = st.one_of(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=MAX_POINTS))


@st.composite
def rule_sets(draw: st.DrawFn, non_increasing_tiers: bool = False) -> RuleSet:
    """Any valid rule set: non-negative integers, strictly increasing tier ages, thresholds in 0..100."""
    n = draw(st.integers(min_value=1, max_value=MAX_RECENCY_TIERS))
    age_bound = draw(st.sampled_from([100 * 3600, MAX_TIER_AGE_SECONDS]))
    ages = sorted(
        draw(st.lists(st.integers(min_value=1, max_value=age_bound), min_size=n, max_size=n, unique=True))
    )
    tier_points = draw(st.lists(points, min_size=n, max_size=n))
    if non_increasing_tiers:
        tier_points.sort(reverse=True)
    warm, hot, burning = sorted(
        draw(st.lists(st.integers(min_value=0, max_value=100), min_size=3, max_size=3, unique=True))
    )
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
        recency_tiers=tuple(RecencyTier(a, p) for a, p in zip(ages, tier_points, strict=True)),
        warm_threshold=warm,
        hot_threshold=hot,
        burning_threshold=burning,
    )


any_rules = st.one_of(st.just(DEFAULT_RULES), rule_sets())
falling_rules = st.one_of(st.just(DEFAULT_RULES), rule_sets(non_increasing_tiers=True))


@st.composite
def scenarios(
    draw: st.DrawFn, rules: st.SearchStrategy[RuleSet] = any_rules
) -> tuple[RuleSet, LeadState, datetime]:
    now = draw(nows)
    return draw(rules), draw(leads(now)), now


@st.composite
def rule_set_ages(draw: st.DrawFn, rules: RuleSet) -> int:
    """An age near one of the rule set's own tier boundaries."""
    tier = draw(st.sampled_from(rules.recency_tiers))
    return tier.max_age_seconds + draw(st.integers(min_value=-2, max_value=2))


# ---- range and temperature ----------------------------------------------------------------


@FAST
@given(scenarios())
def test_score_is_an_integer_from_0_to_100(scenario: tuple[RuleSet, LeadState, datetime]) -> None:
    rules, state, now = scenario
    score = rules.score(state, now)
    assert type(score.total) is int
    assert 0 <= score.total <= 100
    if score.score_after_boundary is not None:
        assert type(score.score_after_boundary) is int
        assert 0 <= score.score_after_boundary <= 100


@FAST
@given(scenarios())
def test_temperature_is_the_temperature_of_the_total(scenario: tuple[RuleSet, LeadState, datetime]) -> None:
    rules, state, now = scenario
    score = rules.score(state, now)
    assert score.temperature is rules.temperature_of(score.total)


@FAST
@given(any_rules, st.integers(min_value=0, max_value=100))
def test_temperature_of_follows_the_thresholds(rules: RuleSet, total: int) -> None:
    if total >= rules.burning_threshold:
        expected = Temperature.BURNING
    elif total >= rules.hot_threshold:
        expected = Temperature.HOT
    elif total >= rules.warm_threshold:
        expected = Temperature.WARM
    else:
        expected = Temperature.COLD
    assert rules.temperature_of(total) is expected


@FAST
@given(scenarios())
def test_total_is_the_clamped_sum_of_the_parts(scenario: tuple[RuleSet, LeadState, datetime]) -> None:
    rules, state, now = scenario
    score = rules.score(state, now)
    assert score.total == min(100, score.engagement + score.qualification + score.recency)
    assert sum(line.points for line in score.lines) == score.engagement + score.qualification + score.recency
    for line in score.lines:
        assert 0 <= line.points <= line.cap
    assert score.recency in {0, *(t.points for t in rules.recency_tiers)}


@FAST
@given(scenarios())
def test_each_engagement_rule_is_count_times_points_up_to_its_cap(
    scenario: tuple[RuleSet, LeadState, datetime],
) -> None:
    rules, state, now = scenario
    score = rules.score(state, now)
    expected = (
        min(state.qr_scan_count * rules.qr_scan_points, rules.qr_scan_cap)
        + min(state.catalog_views * rules.catalog_view_points, rules.catalog_view_cap)
        + min(state.messages_count * rules.message_points, rules.message_cap)
        + (rules.voice_bonus if state.voice_messages_count > 0 else 0)
    )
    assert score.engagement == expected


# ---- monotonicity -------------------------------------------------------------------------


@FAST
@given(scenarios(), st.sampled_from(COUNTERS), st.integers(min_value=1, max_value=1000))
def test_more_engagement_never_lowers_the_score(
    scenario: tuple[RuleSet, LeadState, datetime], name: str, more: int
) -> None:
    rules, state, now = scenario
    grown = dataclasses.replace(state, **{name: getattr(state, name) + more})
    before, after = rules.score(state, now), rules.score(grown, now)
    assert after.total >= before.total
    assert after.engagement >= before.engagement


@FAST
@given(st.sampled_from(COUNTERS), st.integers(min_value=0, max_value=60), nows)
def test_default_rules_one_more_event_below_the_cap_raises_the_score(
    name: str, count: int, now: datetime
) -> None:
    state = LeadState(**{name: count})
    grown = LeadState(**{name: count + 1})
    caps = {"qr_scan_count": 5, "catalog_views": 5, "messages_count": 10, "voice_messages_count": 1}
    before, after = DEFAULT_RULES.score(state, now).total, DEFAULT_RULES.score(grown, now).total
    if count < caps[name]:
        assert after > before
    else:
        assert after == before


@FAST
@given(
    scenarios(),
    st.sampled_from([*TEXT_FIELDS, "budget_min", "budget_max"]),
    st.data(),
)
def test_setting_a_qualification_field_never_lowers_the_score(
    scenario: tuple[RuleSet, LeadState, datetime], name: str, data: st.DataObject
) -> None:
    rules, state, now = scenario
    unset = data.draw(
        st.sampled_from([None, "", "  "]) if name in TEXT_FIELDS else st.sampled_from([None, 0])
    )
    value = data.draw(set_text if name in TEXT_FIELDS else set_budget)
    without = dataclasses.replace(state, **{name: unset})
    with_it = dataclasses.replace(state, **{name: value})
    before, after = rules.score(without, now), rules.score(with_it, now)
    assert after.total >= before.total
    assert after.qualification >= before.qualification


@FAST
@given(st.sampled_from([*TEXT_FIELDS, "budget_min", "budget_max"]), st.data())
def test_default_rules_setting_a_field_on_an_empty_lead_adds_its_points(
    name: str, data: st.DataObject
) -> None:
    value = data.draw(set_text if name in TEXT_FIELDS else set_budget)
    expected = {"phone": 10, "budget_min": 10, "budget_max": 10}.get(name, 5)
    now = data.draw(nows)
    assert DEFAULT_RULES.score(LeadState(**{name: value}), now).total == expected


# ---- time ---------------------------------------------------------------------------------


@FAST
@given(scenarios(falling_rules), st.integers(min_value=0, max_value=MAX_TIER_AGE_SECONDS * 1_000_000))
def test_score_never_rises_while_the_lead_is_silent(
    scenario: tuple[RuleSet, LeadState, datetime], later_us: int
) -> None:
    rules, state, now = scenario
    later = now + timedelta(microseconds=later_us)
    assert rules.score(state, later).total <= rules.score(state, now).total


@FAST
@given(scenarios(falling_rules), st.data())
def test_score_never_rises_across_a_tier_boundary(
    scenario: tuple[RuleSet, LeadState, datetime], data: st.DataObject
) -> None:
    rules, state, now = scenario
    if state.last_interaction_at is None:
        state = dataclasses.replace(state, last_interaction_at=now)
    age = data.draw(rule_set_ages(rules))
    moment = state.last_interaction_at + timedelta(seconds=age)
    assert rules.score(state, moment + TICK).total <= rules.score(state, moment).total
    assert rules.score(state, moment).total <= rules.score(state, moment - TICK).total


@FAST
@given(scenarios())
def test_next_boundary_is_later_and_says_what_happens_there(
    scenario: tuple[RuleSet, LeadState, datetime],
) -> None:
    rules, state, now = scenario
    score = rules.score(state, now)
    assert score.next_boundary == rules.next_boundary(state.last_interaction_at, now)
    if score.next_boundary is None:
        assert score.score_after_boundary is None
        assert score.recency == 0
        # Nothing left to change: the score stays where it is.
        assert rules.score(state, now + timedelta(seconds=MAX_TIER_AGE_SECONDS + 1)).total == score.total
        return
    assert state.last_interaction_at is not None
    assert score.next_boundary > now
    assert score.next_boundary - state.last_interaction_at in {
        timedelta(seconds=t.max_age_seconds) for t in rules.recency_tiers
    }
    just_before = rules.score(state, score.next_boundary - TICK)
    assert just_before.total == score.total
    assert just_before.recency == score.recency
    assert just_before.next_boundary == score.next_boundary
    at_boundary = rules.score(state, score.next_boundary)
    assert at_boundary.total == score.score_after_boundary
    assert at_boundary.next_boundary is None or at_boundary.next_boundary > score.next_boundary


@FAST
@given(scenarios(), st.data())
def test_next_boundary_near_a_tier_edge(
    scenario: tuple[RuleSet, LeadState, datetime], data: st.DataObject
) -> None:
    rules, state, _ = scenario
    last = state.last_interaction_at or BASE
    state = dataclasses.replace(state, last_interaction_at=last)
    now = last + timedelta(
        seconds=data.draw(rule_set_ages(rules)), microseconds=data.draw(st.integers(-1, 1))
    )
    score = rules.score(state, now)
    # The tier that holds `now`: the first whose age bound is above the lead's age.
    current = next(
        (t for t in rules.recency_tiers if now - last < timedelta(seconds=t.max_age_seconds)), None
    )
    if current is None:
        assert (score.recency, score.next_boundary, score.score_after_boundary) == (0, None, None)
    else:
        assert score.recency == current.points
        assert score.next_boundary == last + timedelta(seconds=current.max_age_seconds)
        assert score.score_after_boundary == rules.score(state, score.next_boundary).total
