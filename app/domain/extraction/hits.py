"""What the scan found: a phrase's tags over a run of tokens."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hit:
    tags: frozenset[tuple]
    start: int  # token indexes, end exclusive
    end: int

    def has(self, kind: str) -> bool:
        return any(tag[0] == kind for tag in self.tags)

    def tag(self, kind: str) -> tuple | None:
        for tag in self.tags:
            if tag[0] == kind:
                return tag
        return None
