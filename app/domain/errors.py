"""Domain errors; the web layer maps each to one HTTP status in one place."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class InvalidInput(DomainError):
    """Input a person can fix: the message says how, `field` says where."""

    status_code = 422


class Conflict(DomainError):
    status_code = 409


class Unauthorized(DomainError):
    status_code = 401


class UpstreamFailed(DomainError):
    """A service we depend on (Telegram) failed or could not be reached: not the caller's fault."""

    status_code = 502
