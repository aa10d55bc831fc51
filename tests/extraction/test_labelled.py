"""The labelled set: precision and recall per field and language, and the thresholds.

Three files were written at different times: labelled_{en,fa,ar,ru}.jsonl before any rule
existed, labelled_holdout.jsonl after the first rules but before tuning on it, and
labelled_fresh.jsonl likewise later (see bench/RESULTS.md for what each scored when new).
"""

from __future__ import annotations

from collections import Counter

import pytest

from app.domain.extraction import extract
from tests.extraction.labelled import KNOWN_AREAS, REGION, load, score

MESSAGES = load()
MIN_PRECISION = 0.97
MIN_RECALL = 0.90


def test_the_set_has_200_messages_and_50_per_language():
    per_language = Counter(m.lang for m in MESSAGES)
    assert len(MESSAGES) >= 200
    assert set(per_language) == {"en", "fa", "ar", "ru"}
    assert min(per_language.values()) >= 50, per_language
    assert sum(1 for m in MESSAGES if not m.want) >= 40  # chit-chat and questions with nothing to read


def test_precision_and_recall_over_all_fields():
    result = score(MESSAGES)
    report = result.table() + "\n" + "\n".join(result.mistakes)
    print(report)
    assert result.total.precision >= MIN_PRECISION, report
    assert result.total.recall >= MIN_RECALL, report


@pytest.mark.parametrize("text", [m.text for m in MESSAGES if not m.want])
def test_a_message_with_nothing_to_read_fills_nothing(text):
    found = extract(text, known_areas=KNOWN_AREAS, default_region=REGION)
    assert not found, found.values()
