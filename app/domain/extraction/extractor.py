"""Free text in, the qualification fields it states out: deterministic, offline, explainable.

The order matters: a phone number is taken first (its digits are no budget), then place names
(so 'Dubai Land' is a place, not land, and 'الخليج التجاري' is Business Bay, not commercial),
then the phrasebook's words; bedrooms and budgets are read around them. Only what a clause
states counts: not a question's words, not negated ones; where a field gets two different
values, it stays empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from app.domain.enums import PropertyType, Purpose
from app.domain.extraction import clauses as clause_rules
from app.domain.extraction.bedrooms import find_bedrooms
from app.domain.extraction.budget import find_budgets
from app.domain.extraction.hits import Hit, Span
from app.domain.extraction.lexicon import PHRASEBOOK
from app.domain.extraction.locations import find_places
from app.domain.extraction.phones import find_phone
from app.domain.extraction.result import NOTHING, Extraction, Found
from app.domain.extraction.text import NUM, WORD, Token, fold, looks_persian, tokenize

MAX_TEXT = 2_000  # characters read from one message: leads write far less; bounds the work (~25 ms)
# Two values where one is a kind of the other: the narrower one is meant ('studio apartment')
_NARROWER = {
    frozenset({PropertyType.APARTMENT, PropertyType.STUDIO}): PropertyType.STUDIO,
    frozenset({PropertyType.APARTMENT, PropertyType.PENTHOUSE}): PropertyType.PENTHOUSE,
    frozenset({Purpose.INVESTMENT, Purpose.RESIDENCY}): Purpose.RESIDENCY,  # invest for a golden visa
}
FROM_REACH = 3  # 'from our apartment': tokens between 'from' and the value, at most
_FIELDS = ("transaction_type", "purpose", "property_type", "payment_method")


def extract(
    text: str,
    *,
    known_areas: Sequence[str] = (),
    default_region: str | None = None,
    currency: str = "AED",
) -> Extraction:
    """The fields `text` states. `known_areas` are the agency's own area names (matched first),
    `default_region` the agency's country for numbers without +code, `currency` its currency."""
    if not text or not text.strip():
        return NOTHING
    text = text[:MAX_TEXT]
    folded = fold(text)
    tokens = tokenize(folded)
    if not tokens:
        return NOTHING
    return _Reading(text, folded, tokens, tuple(known_areas), default_region, currency).result()


class _Reading:
    def __init__(
        self,
        text: str,
        folded: str,
        tokens: list[Token],
        known_areas: tuple[str, ...],
        default_region: str | None,
        currency: str,
    ) -> None:
        self.text, self.tokens, self.currency = text, tokens, currency
        self.words = [t.text for t in tokens]
        self.kinds = [t.kind for t in tokens]
        self.taken = [False] * len(tokens)
        self.phone = find_phone(folded, default_region)
        if self.phone is not None:
            _, start, end = self.phone
            self._take(i for i, t in enumerate(tokens) if t.start < end and t.end > start)
        self.places = find_places(self.words, self._place_free(), known_areas)
        for p in self.places:
            self._take(range(p.start, p.end))
        self.hits = self._scan()
        if not self.places:  # fuzzy names come after keywords: 'morgage' is not a place
            free = self._place_free()
            for h in self.hits:
                free[h.start : h.end] = [False] * (h.end - h.start)
            self.places = find_places(self.words, free, known_areas, exact=False)
        self.clauses = clause_rules.split(tokens, self.hits)

    def _take(self, indexes: Iterable[int]) -> None:
        for i in indexes:
            self.taken[i] = True

    def _place_free(self) -> list[bool]:
        return [not taken and kind in (WORD, NUM) for taken, kind in zip(self.taken, self.kinds, strict=True)]

    def _scan(self) -> list[Hit]:
        hits: list[Hit] = []
        i = 0
        while i < len(self.words):
            if self.taken[i]:
                i += 1
                continue
            found = PHRASEBOOK.match(self.words, i)
            if found is None or any(self.taken[i : found[1]]):
                i += 1
                continue
            hits.append(Hit(found[0], i, found[1]))
            i = found[1]
        return hits

    def _source(self, start: int, end: int) -> str:
        return self.text[self.tokens[start].start : self.tokens[end - 1].end]

    def _stated(self, spans: list[Span], negations: clause_rules.Negations) -> list[Span]:
        stated = []
        for value, start, end in spans:
            if not self.clauses.asks(start) and not negations.reach(start, end):
                stated.append(Span(value, start, end))
        return stated

    def _what_they_want(self, stated: list[Span]) -> list[Span]:
        """Of two values, drop the one they come from: 'from our apartment to a villa'."""
        if len({value for value, _, _ in stated}) < 2:
            return stated
        by_start = {s.start: s for s in stated}
        leaving = set()
        for h in self.hits:
            if h.has("from_what_they_have"):
                after = (by_start.get(i) for i in range(h.end, h.end + FROM_REACH))
                first = next((s for s in after if s is not None), None)  # the first value after it only
                if first is not None:
                    leaving.add(first)
        wanted = [s for s in stated if s not in leaving]
        return wanted or stated

    def _one(self, stated: list[Span]) -> Found | None:
        values = {value for value, _, _ in stated}
        if len(values) > 1:
            narrower = _NARROWER.get(frozenset(values))
            if narrower is None:
                return None
            stated = [s for s in stated if s.value == narrower]
        if not stated:
            return None
        value, start, end = stated[0]
        return Found(value, self._source(start, end))

    def result(self) -> Extraction:
        spans: dict[str, list[Span]] = {name: [] for name in _FIELDS}
        for h in self.hits:
            for tag in h.tags:
                if tag[0] == "field":
                    spans[tag[1]].append(Span(tag[2], h.start, h.end))
        bedrooms = find_bedrooms(self.words, self.kinds, self.hits)
        spans["bedrooms"] = [Span(b.count, b.start, b.end) for b in bedrooms]
        spans["location"] = [Span(p.place, p.start, p.end) for p in self.places]
        value_starts = {span.start for found in spans.values() for span in found}
        negations = clause_rules.Negations(self.hits, self.clauses, value_starts)
        stated = {name: self._stated(found, negations) for name, found in spans.items()}
        for name in ("property_type", "transaction_type"):
            stated[name] = self._what_they_want(stated[name])

        fields: dict[str, Found | None] = {name: self._one(stated[name]) for name in _FIELDS}
        fields["bedrooms"] = self._one(stated["bedrooms"])
        if fields["bedrooms"] is not None and fields["bedrooms"].value is None:
            fields["bedrooms"] = None  # '2-3 bedrooms'
        about_property = any(stated[name] for name in ("property_type", "bedrooms", "transaction_type"))
        fields["location"] = self._location(stated["location"], about_property)
        self._bedrooms_and_type(fields, spans)
        fields.update(self._budget(bedrooms))
        if self.phone is not None:
            e164, start, end = self.phone
            fields["phone"] = Found(e164, self.text[start:end])
        return Extraction(**fields)

    def _bedrooms_and_type(self, fields: dict[str, Found | None], spans: dict[str, list[Span]]) -> None:
        """A studio has no bedroom; bedrooms without a named type are a flat ('2BR')."""
        kind, rooms = fields["property_type"], fields["bedrooms"]
        if kind is not None and kind.value == PropertyType.STUDIO:
            if rooms is None and not spans["bedrooms"]:
                fields["bedrooms"] = Found(0, kind.source)
            elif rooms is not None and rooms.value != 0:  # 'studio or 1BR'
                fields["property_type"] = fields["bedrooms"] = None
        elif kind is None and rooms is not None and rooms.value > 0 and not spans["property_type"]:
            fields["property_type"] = Found(PropertyType.APARTMENT, rooms.source)  # '2BR' is a flat

    def _location(self, stated: list[Span], about_property: bool) -> Found | None:
        """One place; a city only in a message about a property ('a flat in Sharjah'), not in
        'we'll be in Dubai next week'; a city holding the named area adds nothing."""
        areas = [s for s in stated if not s.value.is_city]
        if not areas and not about_property:
            return None
        if areas:
            cities = {s.value.city for s in areas}
            stated = areas + [
                s for s in stated if s.value.is_city and s.value.name not in cities and None not in cities
            ]
        names = {s.value.name for s in stated}
        if len(names) != 1:
            return None
        place, start, end = stated[0]
        return Found(place.name, self._source(start, end))

    def _budget(self, bedrooms: Sequence[Any]) -> dict[str, Found | None]:
        free = [not t for t in self.taken]
        for b in bedrooms:
            free[b.start : b.end] = [False] * (b.end - b.start)
        persian = looks_persian(self.text)
        budgets = find_budgets(self.words, self.kinds, self.hits, free, self.currency, persian=persian)
        stated = [b for b in budgets if not self.clauses.asks(b.start)]
        out: dict[str, Found | None] = {"budget_min": None, "budget_max": None}
        for name, side in (("budget_min", 0), ("budget_max", 1)):
            values = [Span(b.low if side == 0 else b.high, b.start, b.end) for b in stated]
            values = [v for v in values if v.value is not None]
            out[name] = self._one(values)
        low, high = out["budget_min"], out["budget_max"]
        if low is not None and high is not None and low.value > high.value:
            return {"budget_min": None, "budget_max": None}
        return out
