"""The repository stands on its own: its documents link only to files it has, and
docs/scoring.md says what the code does."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from app.domain.scoring import LeadState, RecencyTier, RuleSet, Temperature
from tests.conftest import T0

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _documents() -> list[Path]:
    skip = {".venv", ".git", "node_modules", "build"}
    return [p for p in ROOT.rglob("*.md") if not skip & set(p.relative_to(ROOT).parts)]


def test_every_relative_link_points_to_a_file_in_the_repository():
    broken = []
    for document in _documents():
        for target in LINK.findall(document.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor of the same page
            resolved = (document.parent / target.split("#")[0]).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{document.relative_to(ROOT)}: {target}")
    assert broken == []
    assert "docs/scoring.md" in (ROOT / "README.md").read_text()


def test_the_documented_defaults_are_the_codes():
    text = (ROOT / "docs" / "scoring.md").read_text()
    rules = RuleSet()
    for line in (
        f"qr scans           {rules.qr_scan_points} each, at most {rules.qr_scan_cap}",
        f"catalog views      {rules.catalog_view_points} each, at most {rules.catalog_view_cap}",
        f"messages           {rules.message_points} each, at most {rules.message_cap}",
        f"voice bonus        {rules.voice_bonus} once",
        f"has phone          {rules.phone_points}",
        f"has budget         {rules.budget_points}",
        f"burning   {rules.burning_threshold}..100",
        f"hot       {rules.hot_threshold}..{rules.burning_threshold - 1}",
        f"warm      {rules.warm_threshold}..{rules.hot_threshold - 1}",
    ):
        assert line in text, line
    assert rules.recency_tiers == (
        RecencyTier(3600, 20),
        RecencyTier(6 * 3600, 15),
        RecencyTier(24 * 3600, 10),
        RecencyTier(72 * 3600, 5),
    )


def test_the_documented_rule_set_example():
    """docs/scoring.md: voice bonus 15 and burning from 80 give the expo lead 77, hot, at 10:25."""
    expo = LeadState(
        qr_scan_count=1,
        catalog_views=1,
        messages_count=2,
        voice_messages_count=1,
        phone="+971501234567",
        budget_max=2_000_000,
        transaction_type="buy",
        property_type="apartment",
        location="Dubai Marina",
        last_interaction_at=T0,
    )
    custom = RuleSet.from_dict({"voice_bonus": 15, "burning_threshold": 80})
    score = custom.score(expo, T0 + timedelta(minutes=1))
    assert (score.engagement, score.qualification, score.recency, score.total) == (22, 35, 20, 77)
    assert score.temperature == Temperature.HOT
    assert RuleSet().score(expo, T0 + timedelta(minutes=1)).total == 67
