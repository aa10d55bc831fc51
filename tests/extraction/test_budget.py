"""Budgets: multipliers, ranges, 'up to' and 'from', per-year rents, currencies."""

from __future__ import annotations

import pytest

from app.domain.extraction import extract


def budget(text: str, **kwargs) -> tuple[int | None, int | None]:
    found = extract(text, **kwargs)
    return (
        found.budget_min.value if found.budget_min else None,
        found.budget_max.value if found.budget_max else None,
    )


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("budget up to 2M", None, 2_000_000),
        ("2-3 million", 2_000_000, 3_000_000),
        ("under 80k a year", None, 80_000),
        ("1.5m AED", None, 1_500_000),
        ("from 1.5m AED", 1_500_000, None),
        ("30M+", 30_000_000, None),
        ("800k to 1 million", 800_000, 1_000_000),
        ("between 700k and 900k", 700_000, 900_000),
        ("half a million", None, 500_000),
        ("two and a half million", None, 2_500_000),
        ("budget 750,000", None, 750_000),
        ("تا ۲ میلیون درهم", None, 2_000_000),
        ("۸ تا ۱۰ میلیون", 8_000_000, 10_000_000),
        ("حداقل ۲ میلیون", 2_000_000, None),
        ("یک و نیم میلیون", None, 1_500_000),
        ("٢ مليون", None, 2_000_000),
        ("مليون ونص", None, 1_500_000),
        ("مليونين", None, 2_000_000),
        ("من ٢ الى ٣ مليون", 2_000_000, 3_000_000),
        ("بمليون وثمانمية ألف", None, 1_800_000),
        ("2 млн", None, 2_000_000),
        ("от 3 до 4 млн", 3_000_000, 4_000_000),
        ("до 500 тыс", None, 500_000),
        ("за 2 ляма", None, 2_000_000),
        ("полтора миллиона", None, 1_500_000),
    ],
)
def test_amounts_and_ranges(text, low, high):
    assert budget(text) == (low, high)


@pytest.mark.parametrize(
    ("text", "high"),
    [
        ("8k monthly", 96_000),
        ("7,000 per month", 84_000),
        ("ماهی ۸ هزار درهم", 96_000),
        ("الإيجار الشهري ٩٠٠٠", 108_000),
        ("8 тысяч в месяц", 96_000),
        ("120,000 per year", 120_000),
        ("60 тыс в год", 60_000),
    ],
)
def test_a_monthly_rent_is_made_yearly(text, high):
    assert budget(text)[1] == high


def test_dollars_are_dirhams_at_the_peg_and_other_currencies_are_not_read():
    assert budget("budget $1M") == (None, 3_672_500)
    assert budget("budget 1M euro") == (None, None)
    assert budget("budget 1M euro", currency="EUR") == (None, 1_000_000)


@pytest.mark.parametrize(
    "text",
    [
        "1200 sqft",  # a size
        "call me after 6",
        "family of 5",
        "handover 2027",
        "2 or 3 bedrooms",
        "floor 12",
    ],
)
def test_numbers_that_are_not_money(text):
    assert budget(text) == (None, None)


def test_two_different_maximums_are_ambiguous():
    assert budget("2M or maybe 3M") == (None, None)


def test_a_range_the_wrong_way_round_is_not_read():
    assert budget("budget 3M - 2M") == (None, None)


def test_the_source_words_are_those_written():
    found = extract("Hi, up to ٢ مليون please")
    assert found.budget_max is not None
    assert found.budget_max.source == "up to ٢ مليون"
