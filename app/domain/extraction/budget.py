"""Budget: 'up to 2M', '2-3 million', 'under 80k a year', 'from 1.5m AED', '۲ میلیون', 'от 3 до 4 млн'.

An amount is a number (digits or words) with an optional multiplier, 'and a half' and currency.
It is money when it has a multiplier or a currency, or is 10,000 or more. Two amounts joined by
'-', 'to', 'تا', 'الى', 'до' are a range (the second's multiplier applies to a bare first:
'2-3 million'). One amount is a maximum unless 'from', 'at least', 'حداقل', 'от' comes before it
or '+' after it. Per month is made per year. Amounts in another currency than the agency's are
not read, except US dollars for an agency in dirhams (the dirham is pegged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.extraction.hits import Hit
from app.domain.extraction.lexicon.money import AED, MILLION, USD, USD_TO_AED
from app.domain.extraction.numbers import half_after, read_number
from app.domain.extraction.text import NUM

MIN_AMOUNT = 1_000
PLAIN_AMOUNT = 10_000  # a bare number this large is money; smaller ones need 'k', 'M' or a currency
MAX_AMOUNT = 10**12
QUALIFIER_REACH = 3  # tokens between 'up to' and the amount, at most (only cues and currencies)
PERIOD_REACH = 4


@dataclass(slots=True)
class Amount:
    value: float
    start: int
    end: int
    factor: int | None = None  # the multiplier, if one was written
    currency: str | None = None
    above: bool = False  # '30M+'
    cued: bool = False  # 'budget', 'price', 'monthly' right before it

    @property
    def is_money(self) -> bool:
        if not MIN_AMOUNT <= self.value <= MAX_AMOUNT:
            return False
        return self.factor is not None or self.currency is not None or self.cued or self.value >= PLAIN_AMOUNT


@dataclass(frozen=True, slots=True)
class BudgetHit:
    low: int | None
    high: int | None
    start: int
    end: int


def _read(words: Sequence[str], kinds: Sequence[str], at: dict[int, Hit], free: Sequence[bool], i: int):
    hit = at.get(i)
    counted = hit.tag("counted") if hit else None
    if counted is not None:
        value, j, factor = float(counted[1] * counted[2]), hit.end, counted[2]
    else:
        factor = None
        number = read_number(words, kinds, i) if hit is None or kinds[i] == NUM else None
        if number is not None:
            value, j = number
            if (half := half_after(words, j)) and at.get(j + half) and at[j + half].has("mult"):
                value, j = value + 0.5, j + half  # 'two and a half million'
            if j < len(words) and words[j] == "a" and at.get(j + 1) and at[j + 1].has("mult"):
                j += 1  # 'half a million'
        elif hit is not None and (mult := hit.tag("mult")) and mult[1] >= MILLION:
            value, j = 1.0, i  # 'a million', 'مليون ونص'
        else:
            return None
        mult_hit = at.get(j)
        if mult_hit is not None and (mult := mult_hit.tag("mult")):
            value, j, factor = value * mult[1], mult_hit.end, mult[1]
    if not all(free[i:j]):
        return None
    amount = Amount(value, i, j, factor)
    if factor and (half := half_after(words, j)):
        amount.value += 0.5 * factor
        amount.end = j = j + half
    if factor and j < len(words):  # '1 million 800 thousand', 'مليون وثمانمية ألف'
        k = j + 1 if at.get(j) and at[j].has("and") else j
        rest = _read(words, kinds, at, free, k) if k < len(words) else None
        if rest is not None and rest.factor and rest.factor < factor and rest.value < factor:
            amount.value += rest.value
            amount.end = j = rest.end
    after = at.get(j)
    if after is not None and after.has("unit"):
        return None
    if after is not None and (currency := after.tag("currency")):
        amount.currency, amount.end = currency[1], after.end
        after = at.get(after.end)
    if after is not None and after.has("above"):
        amount.above, amount.end = True, after.end
    return amount


def _currency_before(amount: Amount, ends: dict[int, Hit]) -> None:
    before = ends.get(amount.start)
    if before is not None and (currency := before.tag("currency")):
        amount.currency = amount.currency or currency[1]
        amount.start = before.start


def _qualifier(
    amount: Amount, ends: dict[int, Hit], at: dict[int, Hit], persian: bool
) -> tuple[str | None, int]:
    """'max' or 'min' said before the amount (or 'max' right after it), and where it starts."""
    i = amount.start
    for _ in range(QUALIFIER_REACH):
        before = ends.get(i)
        if before is None:
            break
        if before.has("max"):
            return "max", before.start
        if before.has("min") or (before.has("min_in_arabic") and not persian):
            return "min", before.start
        if not (before.has("cue") or before.has("currency")):
            break
        i = before.start
    after = at.get(amount.end)
    if after is not None and after.has("period"):
        after = at.get(after.end)
    if after is not None and after.has("max") and not after.has("join"):
        return "max", amount.start
    return None, amount.start


def _cued(amount: Amount, ends: dict[int, Hit], at: dict[int, Hit]) -> bool:
    after = at.get(amount.end)
    if after is not None and after.has("period"):  # '7,000 per month'
        return True
    i = amount.start
    for _ in range(QUALIFIER_REACH):
        before = ends.get(i)
        if before is None:
            return False
        if before.has("cue") or before.has("period"):
            return True
        i = before.start
    return False


def _months(amount: Amount, at: dict[int, Hit]) -> int:
    for i in range(amount.start - PERIOD_REACH, amount.end + PERIOD_REACH):
        hit = at.get(i)
        if hit is not None and (period := hit.tag("period")):
            return period[1]
    return 1


def _in_currency(value: float, stated: str | None, currency: str) -> int | None:
    stated = stated or currency
    if stated != currency:
        if (stated, currency) == (USD, AED):
            value *= USD_TO_AED
        elif (stated, currency) == (AED, USD):
            value /= USD_TO_AED
        else:
            return None
    return round(value)


def find_budgets(
    words: Sequence[str],
    kinds: Sequence[str],
    hits: Sequence[Hit],
    free: Sequence[bool],
    currency: str,
    *,
    persian: bool = False,
) -> list[BudgetHit]:
    """Every budget stated; `free[i]` is False for tokens a phone, a place or bedrooms took."""
    at = {h.start: h for h in hits}
    ends = {h.end: h for h in hits}
    amounts: list[Amount] = []
    i = 0
    while i < len(words):
        amount = _read(words, kinds, at, free, i) if free[i] else None
        if amount is None:
            i += 1
            continue
        _currency_before(amount, ends)
        amount.cued = _cued(amount, ends, at)
        amounts.append(amount)
        i = max(amount.end, i + 1)

    found: list[BudgetHit] = []
    k = 0
    while k < len(amounts):
        a = amounts[k]
        b = amounts[k + 1] if k + 1 < len(amounts) else None
        join = ends.get(b.start) if b is not None else None
        if b is not None and join is not None and join.has("join") and join.start == a.end:
            if a.factor is None and b.factor is not None and a.value * b.factor <= b.value:
                a.value, a.factor = a.value * b.factor, b.factor
            a.currency = a.currency or b.currency
            b.currency = b.currency or a.currency
            if a.is_money and b.is_money and a.value < b.value:
                months = _months(b, at)
                low = _in_currency(a.value * months, a.currency, currency)
                high = _in_currency(b.value * months, b.currency, currency)
                if low is not None and high is not None:
                    _, start = _qualifier(a, ends, at, persian)
                    found.append(BudgetHit(low, high, start, b.end))
                k += 2
                continue
        if a.is_money:
            side, start = _qualifier(a, ends, at, persian)
            value = _in_currency(a.value * _months(a, at), a.currency, currency)
            if value is not None:
                if side == "min" or a.above:
                    found.append(BudgetHit(value, None, start, a.end))
                else:
                    found.append(BudgetHit(None, value, start, a.end))
        k += 1
    return found
