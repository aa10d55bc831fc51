"""When the report calls bands out of order: a hotter band converting worse than cooler ones."""

from __future__ import annotations

from app.domain.leads.reports import MIN_BAND_LEADS, BandConversion, out_of_order


def band(temperature: str, leads: int, won: int) -> BandConversion:
    return BandConversion(temperature, leads, leads, won, 0)


def test_bands_in_order_say_nothing():
    assert (
        out_of_order([band("burning", 10, 5), band("hot", 10, 3), band("warm", 10, 1), band("cold", 10, 0)])
        == []
    )


def test_a_band_worse_than_two_cooler_ones_is_one_finding_naming_both():
    bands = [band("burning", 10, 0), band("hot", 10, 3), band("warm", 10, 1), band("cold", 10, 0)]
    [finding] = out_of_order(bands)
    assert finding.hotter.temperature == "burning"
    assert [b.temperature for b in finding.coolers] == ["hot", "warm"]


def test_bands_too_small_to_judge_are_left_out():
    small = MIN_BAND_LEADS - 1
    assert out_of_order([band("hot", small, 0), band("warm", 10, 5)]) == []
    assert band("hot", 8, 2).conversion_rate == 0.25 and band("cold", 0, 0).conversion_rate == 0.0
