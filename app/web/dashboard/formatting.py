"""How a lead card shows numbers, money and time (Jinja filters)."""

from __future__ import annotations

from datetime import datetime

TEMPERATURES = {
    "burning": ("🔥", "BURNING"),
    "hot": ("🌶️", "HOT"),
    "warm": ("☀️", "WARM"),
    "cold": ("❄️", "COLD"),
}


def money(amount: int | None, currency: str) -> str:
    """2500000 -> 'AED 2.5M', 950000 -> 'AED 950K'."""
    if amount is None:
        return ""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if amount >= size:
            value = f"{amount / size:.1f}".rstrip("0").rstrip(".")
            return f"{currency} {value}{suffix}"
    return f"{currency} {amount}"


def budget(low: int | None, high: int | None, currency: str) -> str:
    """The card's budget line: 'Up to AED 2.5M', 'From AED 1M', 'AED 1M - 2.5M'."""
    low = low or None
    high = high or None
    if low and high:
        return f"{money(low, currency)} - {money(high, currency).split(' ', 1)[1]}"
    if high:
        return f"Up to {money(high, currency)}"
    if low:
        return f"From {money(low, currency)}"
    return ""


def ago(moment: datetime | None, now: datetime) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago', or 'no interaction yet'."""
    if moment is None:
        return "no interaction yet"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


def is_rtl(text: str | None) -> bool:
    """True for names written in Arabic script (Persian, Arabic), so they read right to left."""
    return any("\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufeff" for ch in text or "")


def label(value: object) -> str:
    """'apartment' -> 'Apartment', 'installments' -> 'Installments'."""
    text = getattr(value, "value", value)
    return str(text).replace("_", " ").capitalize() if text else ""
