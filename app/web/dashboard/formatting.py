"""How a lead card shows numbers, money and time (Jinja filters)."""

from __future__ import annotations

from datetime import datetime

from app.domain.money import budget, money

__all__ = ["TEMPERATURES", "ago", "budget", "duration", "is_rtl", "label", "money"]

TEMPERATURES = {
    "burning": ("🔥", "BURNING"),
    "hot": ("🌶️", "HOT"),
    "warm": ("☀️", "WARM"),
    "cold": ("❄️", "COLD"),
}


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


def duration(seconds: float | None) -> str:
    """'45 s', '12 min', '2 h 05 min', '3 d 4 h' (static/timer.js writes the same)."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def is_rtl(text: str | None) -> bool:
    """True for names written in Arabic script (Persian, Arabic), so they read right to left."""
    return any("\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufeff" for ch in text or "")


def label(value: object) -> str:
    """'apartment' -> 'Apartment', 'installments' -> 'Installments'."""
    text = getattr(value, "value", value)
    return str(text).replace("_", " ").capitalize() if text else ""
