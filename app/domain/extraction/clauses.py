"""Clauses, questions and negations: which found words the lead states, and which not.

A clause ends at . ! ? ; , ، : or a new line, or where 'but' (ولی, لكن, но...) starts another.
A clause is a question when it ends with ? or ؟, opens with a question word ('do you', 'هل',
'есть ли', 'آیا') in its first three words, or holds one that asks anywhere ('دارید', 'ли').
A message that points at a listing ('the studio you posted', 'еще доступна') asks in every clause.
A negation ('not', 'без', 'مش', 'نه') reaches the next found value within three words, unless
'and' comes first; a Persian negative verb ('نمیخوام') negates the word right before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.extraction.hits import Hit
from app.domain.extraction.text import PUNCT, Token

_ENDS = frozenset(".!?;,،:\n؟")
_ASKS = frozenset("?؟")
OPENER_REACH = 3  # a question word among a clause's first three tokens makes it a question
NEGATION_REACH = 3  # tokens between a negation and what it negates, at most


@dataclass(frozen=True, slots=True)
class Clauses:
    of_token: tuple[int, ...]  # clause number of each token
    questions: frozenset[int]

    def asks(self, token: int) -> bool:
        """Whether the clause holding this token is a question."""
        return self.of_token[token] in self.questions


def split(tokens: Sequence[Token], hits: Sequence[Hit]) -> Clauses:
    breaks = {h.start for h in hits if h.has("break")}
    of_token: list[int] = []
    starts: list[int] = [0]
    questions: set[int] = set()
    clause = 0
    for i, token in enumerate(tokens):
        if i in breaks and i > starts[-1]:
            clause += 1
            starts.append(i)
        of_token.append(clause)
        if token.kind == PUNCT and token.text in _ENDS:
            if token.text in _ASKS:
                questions.add(clause)
            clause += 1
            starts.append(i + 1)
    if any(h.has("about_a_listing") for h in hits):  # 'the studio you posted, still available?'
        return Clauses(tuple(of_token), frozenset(range(clause + 1)))
    for h in hits:
        clause = of_token[h.start]
        if h.has("question_anywhere") or (h.has("question") and h.start - starts[clause] < OPENER_REACH):
            questions.add(clause)
    return Clauses(tuple(of_token), frozenset(questions))


class Negations:
    """Where negations stand, to ask of any found value whether one reaches it (in O(1))."""

    def __init__(self, hits: Sequence[Hit], clauses: Clauses, value_starts: set[int]) -> None:
        self._clauses = clauses
        self._after = {h.start for h in hits if h.has("neg_after")}
        self._before = {h.end: h for h in hits if h.has("neg")}
        # a negation stops at 'and' or at another value: 'no mortgage and cash', 'no villa, flat'
        self._stops = {h.start for h in hits if h.has("and")} | value_starts

    def reach(self, start: int, end: int) -> bool:
        of_token = self._clauses.of_token
        clause = of_token[start]
        if end in self._after and of_token[end] == clause:
            return True
        for gap in range(NEGATION_REACH):
            neg_end = start - gap
            if neg_end < 0 or any(i in self._stops for i in range(neg_end, start)):
                return False
            neg = self._before.get(neg_end)
            if neg is not None and of_token[neg.start] == clause:
                return True
        return False
