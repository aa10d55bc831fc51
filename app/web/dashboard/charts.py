"""Server-rendered SVG charts: coordinates computed here, drawn by the templates (no chart library)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.domain.leads.history import HistoryPoint
from app.domain.leads.reports import BandConversion
from app.domain.scoring import MAX_SCORE, RuleSet, line_groups

HISTORY_WIDTH, HISTORY_HEIGHT, HISTORY_PAD = 640, 180, 28
BARS_WIDTH, BARS_HEIGHT, BARS_PAD = 520, 220, 30


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    temperature: str
    title: str  # shown on hover (SVG <title>) and read by screen readers


@dataclass(frozen=True, slots=True)
class ScoreChart:
    width: int
    height: int
    line: str  # the polyline's points
    dots: list[Dot]
    bands: list[tuple[str, float]]  # (temperature, y of its threshold)
    first: str  # the first and last times, under the chart
    last: str


def breakdown_text(breakdown: dict) -> str:
    """'engagement 9/40 (qr scans 3 x 3 = 9 / 15, ...); qualification ...' from a stored breakdown."""
    parts = []
    for group in line_groups(breakdown.get("rules") or []):
        lines = ", ".join(line.get("text", "") for line in group.lines if line.get("points"))
        parts.append(f"{group.name} {group.points}/{group.maximum}" + (f" ({lines})" if lines else ""))
    return "; ".join(parts)


def score_chart(points: Sequence[HistoryPoint], rules: RuleSet, time_zone: str) -> ScoreChart | None:
    if not points:
        return None
    zone = ZoneInfo(time_zone)
    start, end = points[0].time, points[-1].time
    span = max((end - start).total_seconds(), 1.0)
    inner_w, inner_h = HISTORY_WIDTH - 2 * HISTORY_PAD, HISTORY_HEIGHT - 2 * HISTORY_PAD

    def y_of(score: int) -> float:
        return round(HISTORY_PAD + inner_h * (1 - score / MAX_SCORE), 1)

    dots = []
    for i, p in enumerate(points):
        # Points spread by time; many at the same moment (an import) spread evenly instead.
        x = HISTORY_PAD + inner_w * (
            (p.time - start).total_seconds() / span if end > start else i / max(len(points) - 1, 1)
        )
        when = _when(p.time, zone)
        title = f"{when} · {p.change} · {p.score_before} → {p.score} ({p.temperature})"
        if p.breakdown:
            title += "\n" + breakdown_text(p.breakdown)
        dots.append(Dot(round(x, 1), y_of(p.score), p.temperature, title))
    bands = [
        ("burning", y_of(rules.burning_threshold)),
        ("hot", y_of(rules.hot_threshold)),
        ("warm", y_of(rules.warm_threshold)),
    ]
    return ScoreChart(
        HISTORY_WIDTH,
        HISTORY_HEIGHT,
        " ".join(f"{d.x},{d.y}" for d in dots),
        dots,
        bands,
        _when(start, zone),
        _when(end, zone),
    )


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    temperature: str
    label: str  # the rate, above the bar
    title: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    base: float  # the y of the axis
    bars: list[Bar]


def conversion_chart(bands: Sequence[BandConversion]) -> BarChart:
    inner_h = BARS_HEIGHT - 2 * BARS_PAD
    slot = (BARS_WIDTH - 2 * BARS_PAD) / max(len(bands), 1)
    top = max((b.conversion_rate for b in bands), default=0) or 1.0
    bars = []
    for i, b in enumerate(bands):
        height = inner_h * b.conversion_rate / top
        bars.append(
            Bar(
                x=round(BARS_PAD + i * slot + slot * 0.2, 1),
                y=round(BARS_PAD + inner_h - height, 1),
                width=round(slot * 0.6, 1),
                height=round(height, 1),
                temperature=b.temperature,
                label=f"{b.conversion_rate:.0%}",
                title=f"{b.temperature}: {b.won} won of {b.leads} leads ({b.conversion_rate:.0%})",
            )
        )
    return BarChart(BARS_WIDTH, BARS_HEIGHT, BARS_PAD + inner_h, bars)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d %b %H:%M")
