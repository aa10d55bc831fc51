"""Why leads are won or lost: each agency's short list of reasons (a default one until edited)."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.errors import InvalidInput
from app.domain.text import check_text

DEFAULT_OUTCOME_REASONS = (
    "Bought or rented with us",
    "Price or budget",
    "Chose another agency",
    "Financing fell through",
    "Not ready yet",
    "No answer",
)
MAX_REASONS = 20
MAX_REASON = 100
MAX_OUTCOME_NOTE = 500


def reasons_of(stored: Sequence[str] | None) -> list[str]:
    """The agency's reasons: its own list, or the default one."""
    return list(stored) if stored else list(DEFAULT_OUTCOME_REASONS)


def clean_reasons(lines: Sequence[str]) -> list[str]:
    """A list as an admin typed it (one a line): trimmed, blanks and repeats dropped."""
    reasons: list[str] = []
    for line in lines:
        text = check_text("outcome_reasons", line).strip()
        if not text or text in reasons:
            continue
        if len(text) > MAX_REASON:
            raise InvalidInput(f"A reason may have at most {MAX_REASON} characters.", "outcome_reasons")
        reasons.append(text)
    if not reasons:
        raise InvalidInput("Give at least one reason.", "outcome_reasons")
    if len(reasons) > MAX_REASONS:
        raise InvalidInput(f"At most {MAX_REASONS} reasons.", "outcome_reasons")
    return reasons


def check_reason(reason: str | None, allowed: Sequence[str]) -> None:
    if reason is not None and reason not in allowed:
        raise InvalidInput(
            f"outcome_reason must be one of this agency's reasons: {', '.join(allowed)}.", "outcome_reason"
        )
