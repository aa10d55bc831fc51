"""All the words the extractor knows, in one phrasebook: each phrase says a set of tags.

A tag is a tuple: ("field", name, value) for a field's value; ("bed_unit",), ("bedrooms", n);
("mult", factor), ("counted", n, factor); ("currency", code); ("period", months); ("max",),
("min",), ("min_in_arabic",), ("above",), ("join",), ("cue",), ("unit",); ("neg",),
("neg_after",), ("question",), ("question_anywhere",), ("about_a_listing",),
("from_what_they_have",), ("break",), ("and",).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from app.domain.extraction.hits import Tags
from app.domain.extraction.lexicon import bedrooms, cues, money, payment, property, purpose, transaction
from app.domain.extraction.phrasebook import Phrasebook


def _build() -> Phrasebook:
    tags: dict[str, set[tuple]] = defaultdict(set)

    def add(phrases: Iterable[str], tag: tuple) -> None:
        for phrase in phrases:
            tags[phrase].add(tag)

    for name, table in (
        ("transaction_type", transaction.PHRASES),
        ("purpose", purpose.PHRASES),
        ("property_type", property.PHRASES),
        ("payment_method", payment.PHRASES),
    ):
        for value, phrases in table.items():
            add(phrases, ("field", name, value))
    add(bedrooms.UNITS, ("bed_unit",))
    for count, phrases in bedrooms.COUNTS.items():
        add(phrases, ("bedrooms", count))
    for factor, phrases in money.MULTIPLIERS.items():
        add(phrases, ("mult", factor))
    for (count, factor), phrases in money.COUNTED.items():
        add(phrases, ("counted", count, factor))
    for code, phrases in money.CURRENCIES.items():
        add(phrases, ("currency", code))
    add(money.PER_MONTH, ("period", 12))
    add(money.PER_YEAR, ("period", 1))
    add(money.AT_MOST, ("max",))
    add(money.AT_LEAST, ("min",))
    add(money.AT_LEAST_IN_ARABIC, ("min_in_arabic",))
    add(money.AND_ABOVE, ("above",))
    add(money.RANGE_JOIN, ("join",))
    add(money.CUES, ("cue",))
    add(money.AREA_UNITS, ("unit",))
    add(cues.NEGATIONS, ("neg",))
    add(cues.AFTER_NEGATIONS, ("neg_after",))
    add(cues.EITHER_SIDE_NEGATIONS, ("neg",))
    add(cues.EITHER_SIDE_NEGATIONS, ("neg_after",))
    add(cues.QUESTIONS, ("question",))
    add(cues.QUESTIONS_ANYWHERE, ("question_anywhere",))
    add(cues.MENTIONS, ("neg",))  # a mention is no wish: it reaches like a negation
    add(cues.ABOUT_A_LISTING, ("about_a_listing",))
    add(cues.FROM_WHAT_THEY_HAVE, ("from_what_they_have",))
    add(cues.BREAKS, ("break",))
    add(cues.JOINS, ("and",))
    book = Phrasebook()
    merged: dict[tuple[str, ...], set[tuple]] = defaultdict(set)
    for phrase, phrase_tags in tags.items():
        merged[book.key(phrase)] |= phrase_tags
    for key, phrase_tags in merged.items():
        book.add_words(key, Tags.of(frozenset(phrase_tags)))
    return book


PHRASEBOOK = _build()
