"""What an API token may do: `read` (GET only), `write` (all but rules and webhooks), `admin`."""

from __future__ import annotations

import enum

from app.domain.errors import InvalidInput


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def covers(self, needed: TokenScope) -> bool:
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, value: str) -> TokenScope:
        try:
            return cls(value.strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise InvalidInput(f"scope must be one of: {allowed}.", "scope") from None


_RANK = {TokenScope.READ: 0, TokenScope.WRITE: 1, TokenScope.ADMIN: 2}
# Tokens made before scopes existed, and an agency's first token, can do everything.
DEFAULT_SCOPE = TokenScope.ADMIN
