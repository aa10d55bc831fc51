"""A dictionary of phrases over tokens: the longest phrase at a position wins.

A phrase is written as the lead would write it and folded like the text. A word ending in
`*` is a stem: it matches a word that starts with it and has at most a few more letters
(Russian case endings: 'квартир*' is 'квартира', 'квартиру', 'квартиры'). A word in Arabic
script also matches with a leading clitic ('و', 'ب', 'ل', 'ال', 'بال', 'لل'...) removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.domain.extraction.text import fold, tokenize

MAX_ENDING = 4  # letters a stem may be followed by
MAX_REMEMBERED = 50_000  # words whose phrase starts are remembered (then forgotten all at once)
_CLITICS = ("وبال", "وال", "بال", "فال", "کال", "لل", "ال", "و", "ب", "ل", "ف")
_ARABIC_SCRIPT = range(0x0600, 0x0700)


def word_variants(word: str) -> list[str]:
    """The word, then the word without a leading Arabic clitic ('بالتقسيط' -> 'تقسیط')."""
    variants = [word]
    if word and ord(word[0]) in _ARABIC_SCRIPT:
        for clitic in _CLITICS:
            if word.startswith(clitic) and len(word) - len(clitic) >= 3:
                rest = word[len(clitic) :]
                variants.append(rest)
                if clitic.endswith("ل") and clitic != "ل":
                    variants.append("ال" + rest)
    return variants


def _words(phrase: str) -> list[str]:
    """The phrase's words as the text's tokens; a stem keeps its `*`."""
    words: list[str] = []
    for chunk in fold(phrase).split():
        if chunk.endswith("*"):
            words.append(chunk)
        else:
            words.extend(token.text for token in tokenize(chunk))
    return words


class _Node:
    __slots__ = ("exact", "stems", "value")

    def __init__(self) -> None:
        self.exact: dict[str, _Node] = {}
        self.stems: dict[str, _Node] = {}
        self.value: Any = None


class Phrasebook:
    def __init__(self) -> None:
        self._root = _Node()
        self._stem_sizes: set[int] = set()
        self._starts: dict[str, list[_Node]] = {}

    @staticmethod
    def key(phrase: str) -> tuple[str, ...]:
        return tuple(_words(phrase))

    def add(self, phrase: str, value: Any) -> None:
        self.add_words(self.key(phrase), value)

    def add_words(self, words: tuple[str, ...], value: Any) -> None:
        phrase = " ".join(words)
        node = self._root
        for word in words:
            if word.endswith("*"):
                stem = word[:-1]
                self._stem_sizes.add(len(stem))
                node = node.stems.setdefault(stem, _Node())
            else:
                node = node.exact.setdefault(word, _Node())
        if node.value is not None and node.value != value:
            raise ValueError(f"phrase {phrase!r} has two meanings: {node.value!r}, {value!r}")
        node.value = value
        self._starts.clear()

    def _next(self, node: _Node, word: str, first: bool) -> list[_Node]:
        found = []
        for variant in word_variants(word) if first else (word,):
            child = node.exact.get(variant)
            if child is not None:
                found.append(child)
            if node.stems:
                for size in self._stem_sizes:
                    if size <= len(variant) <= size + MAX_ENDING:
                        child = node.stems.get(variant[:size])
                        if child is not None:
                            found.append(child)
            if found:
                break
        return found

    def _first(self, word: str) -> list[_Node]:
        """The phrases a word can start; remembered, as most words are met again and again."""
        found = self._starts.get(word)
        if found is None:
            if len(self._starts) >= MAX_REMEMBERED:
                self._starts.clear()
            found = self._starts[word] = self._next(self._root, word, True)
        return found

    def match(self, words: Sequence[str], i: int) -> tuple[Any, int] | None:
        """The value of the longest phrase starting at `i`, and the index after it."""
        starts = self._first(words[i])
        if not starts:
            return None
        best: tuple[Any, int] | None = None
        frontier = [(child, i + 1) for child in starts]
        while frontier:
            node, j = frontier.pop()
            if node.value is not None and (best is None or j > best[1]):
                best = (node.value, j)
            if j < len(words) and (node.exact or node.stems):
                frontier.extend((child, j + 1) for child in self._next(node, words[j], False))
        return best
