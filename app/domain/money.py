"""Amounts as people read them: 'AED 2.5M', 'Up to AED 2.5M' (the dashboard and the bot)."""

from __future__ import annotations


def money(amount: int | None, currency: str) -> str:
    """2500000 -> 'AED 2.5M', 950000 -> 'AED 950K'."""
    if amount is None:
        return ""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if amount >= size:
            value = f"{amount / size:.1f}".rstrip("0").rstrip(".")
            return f"{currency} {value}{suffix}"
    return f"{currency} {amount}"


def budget(
    low: int | None,
    high: int | None,
    currency: str,
    *,
    up_to: str = "Up to {amount}",
    from_: str = "From {amount}",
) -> str:
    """The card's budget line: 'Up to AED 2.5M', 'From AED 1M', 'AED 1M - 2.5M'.

    `up_to` and `from_` are the open-ended wordings, so the bot can pass them translated.
    """
    low = low or None
    high = high or None
    if low and high:
        return f"{money(low, currency)} - {money(high, currency).split(' ', 1)[1]}"
    if high:
        return up_to.format(amount=money(high, currency))
    if low:
        return from_.format(amount=money(low, currency))
    return ""
