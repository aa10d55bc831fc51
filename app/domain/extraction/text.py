"""Folding and tokenising: one spelling per letter and digit, offsets kept for the source words.

Folding maps one character to one character, so a token's offsets in the folded text are its
offsets in what the lead wrote: the source words are cut from the original text.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_ONE_TO_ONE = {
    # Persian and Arabic-Indic digits, and their decimal and thousands separators
    **{chr(0x06F0 + d): str(d) for d in range(10)},
    **{chr(0x0660 + d): str(d) for d in range(10)},
    "\u066b": ".",
    "\u066c": ",",
    # Arabic and Persian spellings of the same letter (ي/ی, ك/ک), hamza seats, taa marbuta
    "\u064a": "\u06cc",
    "\u0649": "\u06cc",
    "\u0626": "\u06cc",
    "\u0643": "\u06a9",
    "\u0629": "\u0647",
    "\u0623": "\u0627",
    "\u0625": "\u0627",
    "\u0622": "\u0627",
    "\u0671": "\u0627",
    "\u0624": "\u0648",
    # Persian half-space and joiners separate words; odd spaces are spaces
    "\u200c": " ",
    "\u200d": " ",
    "\u00a0": " ",
    "\u202f": " ",
    "ё": "е",
    "Ё": "Е",
    "\u2019": "'",
    "\u2018": "'",
    "\u2013": "-",
    "\u2014": "-",
    "\u00b2": "2",
}
_TABLE = str.maketrans(_ONE_TO_ONE)


def fold(text: str) -> str:
    """The text in one spelling per letter and digit, lower case, of the same length."""
    folded = text.translate(_TABLE).lower()
    if len(folded) != len(text):  # a letter whose lower case is longer (e.g. 'İ'): keep it as is
        folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in text.translate(_TABLE))
    return folded


_PERSIAN_ONLY = frozenset("پچژگ\u06cc\u06a9")  # ی and ک as a Persian keyboard types them
_ARABIC_ONLY = frozenset("\u064a\u0643\u0629\u0649")  # ي ك ة ى


def looks_persian(text: str) -> bool:
    """Whether Arabic-script text is Persian rather than Arabic (by letters only one of them uses)."""
    persian = arabic = 0
    for c in text:
        if c in _PERSIAN_ONLY:
            persian += 1
        elif c in _ARABIC_ONLY:
            arabic += 1
    return persian > arabic


NUM, WORD, PUNCT = "num", "word", "punct"

_TOKEN = re.compile(
    r"(?P<num>\d+(?:[.,/]\d+)*)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)"
    r"|(?P<punct>[?؟!.,;:،\-+\n/$€£~])"
)


class Token(NamedTuple):
    text: str  # folded
    start: int
    end: int
    kind: str


def tokenize(folded: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end(), m.lastgroup or WORD) for m in _TOKEN.finditer(folded)]
