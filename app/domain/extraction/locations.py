"""Where: the agency's own areas first, then the market's gazetteer (data/areas.json).

Names are matched exactly (any listed spelling, folded; an Arabic clitic may lead), and where
nothing matched exactly, words that are not otherwise read are fuzzy-matched (rapidfuzz) to
the spellings that start with the same letter and have about the same length.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from rapidfuzz import fuzz, process

from app.domain.extraction.phrasebook import MAX_REMEMBERED, Phrasebook

MIN_FUZZY_LENGTH = 5  # shorter words are never fuzzy-matched ('plan' is not 'palm')
FUZZY_CUTOFF = 86.0  # rapidfuzz ratio, 0..100
FUZZY_LENGTH_SLACK = 3
LONGER_CUTOFF = 92.0  # stricter when a listed name is already matched: 'arabian ranches for family'


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    city: str | None  # the city an area is in; None for a city, or an agency area we cannot place
    is_city: bool = False


@dataclass(frozen=True, slots=True)
class PlaceHit:
    place: Place
    start: int  # token indexes
    end: int


def _load() -> list[tuple[Place, list[str]]]:
    raw = json.loads(resources.files(__package__).joinpath("data/areas.json").read_text("utf-8"))
    places = [(Place(c["name"], None, is_city=True), c["aliases"]) for c in raw["cities"]]
    places += [(Place(a["name"], a["city"]), a["aliases"]) for a in raw["areas"]]
    return places


@functools.cache
def _market() -> list[tuple[Place, list[str]]]:
    return _load()


class Gazetteer:
    """Names to places: exact lookups over tokens, and a fuzzy lookup for one phrase."""

    def __init__(self, places: Sequence[tuple[Place, Sequence[str]]]) -> None:
        spellings: dict[tuple[str, ...], Place] = {}
        for place, aliases in places:  # later entries win: the agency's, added last
            for alias in (place.name, *aliases):
                key = Phrasebook.key(alias)
                if key:  # an area named only by punctuation cannot be written in a message
                    spellings[key] = place
        self._book = Phrasebook()
        # spellings by first letter and length, for fuzzy lookups among the likely ones only
        self._buckets: dict[tuple[str, int], list[tuple[str, Place]]] = defaultdict(list)
        self._near: dict[tuple[str, int], tuple[list[str], list[Place]]] = {}
        for words, place in spellings.items():
            self._book.add_words(words, place)
            text = " ".join(words)
            if len(text) >= MIN_FUZZY_LENGTH:
                self._buckets[(text[0], len(text))].append((text, place))

    def exact(self, words: Sequence[str], i: int) -> tuple[Place, int] | None:
        return self._book.match(words, i)

    def fuzzy(self, phrase: str, cutoff: float = FUZZY_CUTOFF) -> Place | None:
        texts, places = self._choices(phrase[0], len(phrase))
        if not texts:
            return None
        best = process.extractOne(phrase, texts, scorer=fuzz.ratio, score_cutoff=cutoff)
        return None if best is None else places[best[2]]

    def _choices(self, first: str, size: int) -> tuple[list[str], list[Place]]:
        """The spellings starting with `first` within a few letters of `size` (remembered)."""
        key = (first, size)
        found = self._near.get(key)
        if found is None:
            near = [
                choice
                for length in range(size - FUZZY_LENGTH_SLACK, size + FUZZY_LENGTH_SLACK + 1)
                for choice in self._buckets.get((first, length), ())
            ]
            if len(self._near) >= MAX_REMEMBERED:
                self._near.clear()
            found = self._near[key] = ([text for text, _ in near], [place for _, place in near])
        return found


@dataclass(frozen=True, slots=True)
class AgencyAreas:
    gazetteer: Gazetteer  # the agency's areas, with the market's spellings of the same places
    renamed: dict[Place, Place]  # a market place -> the agency's name for it


@functools.lru_cache(maxsize=1024)
def agency_areas(known_areas: tuple[str, ...]) -> AgencyAreas:
    """An agency's areas: small, so many agencies' lists can be kept at once."""
    by_spelling = _by_spelling()
    areas: list[tuple[Place, Sequence[str]]] = []
    renamed: dict[Place, Place] = {}
    for name in known_areas:
        if not name.strip():
            continue
        known = by_spelling.get(Phrasebook.key(name))
        if known is None:
            areas.append((Place(name.strip(), None), []))
        else:
            place, aliases = known
            ours = Place(name.strip(), place.city, place.is_city)
            areas.append((ours, [place.name, *aliases]))
            renamed[place] = ours
    return AgencyAreas(Gazetteer(areas), renamed)


@functools.cache
def _by_spelling() -> dict[tuple[str, ...], tuple[Place, Sequence[str]]]:
    return {
        Phrasebook.key(alias): (place, aliases)
        for place, aliases in _market()
        for alias in (place.name, *aliases)
    }


@functools.cache
def market() -> Gazetteer:
    return Gazetteer(_market())


def find_places(
    words: Sequence[str], free: Sequence[bool], known_areas: tuple[str, ...], *, exact: bool = True
) -> list[PlaceHit]:
    """Names written as listed (the agency's spelling wins), or with `exact=False`, names close
    to a listed spelling (the agency's first). `free[i]` says token i is a word nothing else read."""
    agency, everywhere = agency_areas(known_areas), market()
    if not exact:
        return _fuzzy(words, free, agency.gazetteer, everywhere)
    hits: list[PlaceHit] = []
    i = 0
    while i < len(words):
        found = agency.gazetteer.exact(words, i) if free[i] else None
        other = everywhere.exact(words, i) if free[i] else None
        if other is not None and (found is None or other[1] > found[1]):
            found = (agency.renamed.get(other[0], other[0]), other[1])
        if found is not None:
            hits.append(PlaceHit(found[0], i, found[1]))
            i = found[1]
        else:
            i += 1
    return [_longer(words, free, hit, agency.gazetteer, everywhere) for hit in hits]


def _longer(words: Sequence[str], free: Sequence[bool], hit: PlaceHit, *gazetteers: Gazetteer) -> PlaceHit:
    """A listed name that a misspelt longer one starts with: 'jumeira park', 'arabian ranch 2'."""
    for extra in (2, 1):
        end = hit.end + extra
        if end > len(words) or not all(free[hit.end : end]):
            continue
        phrase = " ".join(words[hit.start : end])
        for gazetteer in gazetteers:
            place = gazetteer.fuzzy(phrase, LONGER_CUTOFF)
            if place is not None and place != hit.place:
                return PlaceHit(place, hit.start, end)
    return hit


def _fuzzy(words: Sequence[str], free: Sequence[bool], *gazetteers: Gazetteer) -> list[PlaceHit]:
    hits: list[PlaceHit] = []
    taken = [not f for f in free]
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            if any(taken[i : i + size]) or words[i][0].isdigit():
                continue
            phrase = " ".join(words[i : i + size])
            if len(phrase) < MIN_FUZZY_LENGTH:
                continue
            for gazetteer in gazetteers:
                place = gazetteer.fuzzy(phrase)
                if place is not None:
                    hits.append(PlaceHit(place, i, i + size))
                    taken[i : i + size] = [True] * size
                    break
    return sorted(hits, key=lambda h: h.start)
