"""What the scan found: a phrase's tags over a run of tokens."""

from __future__ import annotations

from typing import Any, NamedTuple


class Tags(NamedTuple):
    """A phrase's tags, and their kinds for quick questions ('is it a negation?')."""

    tags: frozenset[tuple]
    kinds: frozenset[str]

    @classmethod
    def of(cls, tags: frozenset[tuple]) -> Tags:
        return cls(tags, frozenset(tag[0] for tag in tags))


class Hit(NamedTuple):
    said: Tags
    start: int  # token indexes, end exclusive
    end: int

    @property
    def tags(self) -> frozenset[tuple]:
        return self.said.tags

    def has(self, kind: str) -> bool:
        return kind in self.said.kinds

    def tag(self, kind: str) -> tuple | None:
        if kind not in self.said.kinds:
            return None
        for tag in self.said.tags:
            if tag[0] == kind:
                return tag
        return None


class Span(NamedTuple):
    """A value found over tokens start..end (end exclusive)."""

    value: Any
    start: int
    end: int
