"""Bedrooms: '2BR', 'two-bedroom', 'دو خوابه', '3 غرف نوم', '4 спальни', 'двушка', 'غرفتين'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.extraction.hits import Hit
from app.domain.extraction.numbers import read_number
from app.domain.extraction.text import NUM

MAX_BEDROOMS = 12
_LINKS = frozenset({"-", "х", "x"})  # '2-bedroom', '2-х комнатная'
_OR = frozenset({"-", "to", "or", "/", "یا", "او", "أو", "или", "تا"})


@dataclass(frozen=True, slots=True)
class BedroomsHit:
    count: int | None  # None: a range or a choice ('2-3 bedrooms'), which says nothing
    start: int
    end: int


def _count_before(words: Sequence[str], kinds: Sequence[str], end: int) -> tuple[float, int] | None:
    """A number that ends right before token `end`: digits, or one or two number words."""
    for start in (end - 1, end - 2, end - 3):
        if start < 0:
            break
        found = read_number(words, kinds, start)
        if found is not None and found[1] == end:
            return found[0], start
    return None


def find_bedrooms(words: Sequence[str], kinds: Sequence[str], hits: Sequence[Hit]) -> list[BedroomsHit]:
    found: list[BedroomsHit] = []
    for hit in hits:
        counted = hit.tag("bedrooms")
        if counted is not None:
            found.append(BedroomsHit(counted[1], hit.start, hit.end))
            continue
        if not hit.has("bed_unit"):
            continue
        end = hit.start
        if end > 0 and words[end - 1] in _LINKS:
            end -= 1
        number = _count_before(words, kinds, end)
        if number is None:
            continue
        value, start = number
        if value != int(value) or not 0 < value <= MAX_BEDROOMS:
            continue
        ranged = start >= 2 and words[start - 1] in _OR and kinds[start - 2] == NUM
        found.append(BedroomsHit(None if ranged else int(value), start, hit.end))
    return found
