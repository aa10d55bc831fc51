"""Numbers as leads write them: digits with separators, and number words in four languages."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.extraction.text import fold

_UNITS = {
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "half": 0.5,
    # Persian ("نه" is also "no": it is read as a negation, never as nine)
    "یک": 1, "یه": 1, "ی": 1, "دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6, "شیش": 6,
    "هفت": 7, "هشت": 8, "ده": 10, "بیست": 20, "سی": 30, "چهل": 40, "پنجاه": 50, "شصت": 60,
    "هفتاد": 70, "هشتاد": 80, "نود": 90, "دویست": 200, "سیصد": 300, "چهارصد": 400,
    "پانصد": 500, "پونصد": 500, "ششصد": 600, "هفتصد": 700, "هشتصد": 800, "نهصد": 900, "نیم": 0.5,
    # Arabic (spelled as folded: ي -> ی, ة -> ه, أ -> ا)
    "واحد": 1, "واحدة": 1, "وحدة": 1, "وحده": 1, "اثنين": 2, "اثنان": 2, "اتنين": 2, "ثنتين": 2,
    "ثلاث": 3, "ثلاثة": 3, "تلات": 3, "اربع": 4, "أربع": 4, "أربعة": 4, "خمس": 5, "خمسة": 5,
    "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7, "ثمان": 8, "ثمانية": 8, "تسع": 9, "تسعة": 9,
    "عشر": 10, "عشرة": 10, "عشرين": 20, "ثلاثين": 30, "اربعين": 40, "خمسين": 50, "ستين": 60,
    "سبعين": 70, "ثمانين": 80, "تسعين": 90, "مية": 100, "مئة": 100, "مائة": 100, "ميتين": 200,
    "مئتين": 200, "ثلاثمية": 300, "اربعمية": 400, "خمسمية": 500, "خمسمائة": 500,
    "ستمية": 600, "سبعمية": 700, "ثمانمية": 800, "ثمانمائة": 800, "تسعمية": 900, "نص": 0.5, "نصف": 0.5,
    # Russian
    "один": 1, "одна": 1, "одну": 1, "одной": 1, "одним": 1, "два": 2, "две": 2, "двух": 2,
    "двумя": 2, "три": 3, "трех": 3, "тремя": 3, "четыре": 4, "четырех": 4, "четырьмя": 4,
    "пять": 5, "пятью": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100, "двести": 200,
    "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700,
    "восемьсот": 800, "девятьсот": 900, "полтора": 1.5, "полторы": 1.5, "полутора": 1.5, "пол": 0.5,
}  # fmt: skip
_HUNDRED = {fold(w) for w in ("hundred", "صد", "مئة", "مية", "сотня")}
_AND = {fold(w) for w in ("and", "و", "и", "a")}
# "and a half" after a number: +0.5
_HALF_AFTER = {
    tuple(fold(p).split())
    for p in ("and a half", "و نیم", "ونیم", "ونص", "و نص", "ونصف", "و نصف", "с половиной")
}
WORD_VALUES = {fold(w): v for w, v in _UNITS.items()}
WORD_VALUES.update({"و" + w: v for w, v in list(WORD_VALUES.items()) if "\u0600" <= w[0] <= "\u06ff"})


def parse_digits(raw: str) -> float | None:
    """'2,500,000' -> 2500000, '1.5' -> 1.5, '2,5' -> 2.5, '۲/۵' (folded '2/5') -> 2.5."""
    if "/" in raw:
        whole, _, frac = raw.partition("/")
        if len(frac) == 1 and "/" not in frac and whole.isdigit():
            return float(f"{whole}.{frac}")
        return None
    seps = [c for c in raw if c in ".,"]
    if not seps:
        return float(raw)
    groups = raw.replace(",", ".").split(".")
    if len(seps) == 1 and len(groups[1]) != 3:  # one separator not followed by 3 digits: a decimal
        return float(f"{groups[0]}.{groups[1]}")
    if all(len(g) == 3 for g in groups[1:]) and len(set(seps)) == 1:  # thousands separators
        return float("".join(groups))
    if len(set(seps)) == 2 and raw.rfind(".") > raw.rfind(","):  # 1,234.5
        return float(raw.replace(",", ""))
    return None


def read_number(words: Sequence[str], kinds: Sequence[str], i: int) -> tuple[float, int] | None:
    """The number starting at token `i` (digits or words) and the index after it."""
    if kinds[i] == "num":
        value = parse_digits(words[i])
        return None if value is None else (value, i + 1)
    if words[i] not in WORD_VALUES and words[i] not in _HUNDRED:
        return None
    total, j, seen = 0.0, i, False
    while j < len(words):
        w = words[j]
        if w in WORD_VALUES:
            total += WORD_VALUES[w]
        elif w in _HUNDRED and seen:
            total *= 100
        elif w in _HUNDRED:
            total = 100
        elif seen and w in _AND and j + 1 < len(words) and words[j + 1] in WORD_VALUES:
            j += 1
            continue
        else:
            break
        seen = True
        j += 1
    if not seen:
        return None
    return (total, j) if total > 0 else None


def half_after(words: Sequence[str], j: int) -> int:
    """How many tokens at `j` say 'and a half' (0 if none)."""
    for phrase in _HALF_AFTER:
        if tuple(words[j : j + len(phrase)]) == phrase:
            return len(phrase)
    return 0
