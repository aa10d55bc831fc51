"""Settings from the environment, read once, and the framework configs built from them."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The installed package and everything it ships: templates, static files, migrations.
PACKAGE = Path(__file__).resolve().parent
# A source checkout keeps its local state next to the code (var/ beside pyproject.toml); an
# installed package (a wheel, the Docker image) keeps it in ./var of where it runs, or VAR_DIR.
_CHECKOUT = PACKAGE.parent if (PACKAGE.parent / "pyproject.toml").is_file() else None


def _default_var_dir() -> Path:
    return (_CHECKOUT or Path.cwd()) / "var"
# Keys that were ever shipped in an example or a compose file: as good as no key at all.
KNOWN_DEFAULT_KEYS = frozenset({"change-me-in-production", "change-me", "changeme", "secret", "leadheat"})
PRIVATE_FILE = 0o600


class InsecureSettings(ValueError):
    """A setting the app refuses to run with; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # Local state of an install: the embedded database, the generated secret, demo credentials.
    var_dir: Path = Field(default_factory=_default_var_dir)
    database_url: str = Field(
        default="",
        description="sqlite+aiosqlite:///... or postgresql+asyncpg://...; default: var_dir/leadheat.db",
    )
    secret_key: str = Field(default="", description="Signs sessions and encrypts bot tokens.")
    debug: bool = False
    log_level: str = "INFO"
    # "json": one JSON object a line (with request_id, tenant_id, lead_id), for log collectors.
    log_format: Literal["text", "json"] = "text"
    # How often the background sweep refreshes leads whose recency boundary passed: the most
    # the list's order and the counts can lag behind the live scores readers see.
    sweep_interval_seconds: float = Field(default=5.0, gt=0, le=60)
    bot_polling: bool = True
    telegram_api_url: str | None = None
    db_pool_size: int = 10
    db_max_overflow: int = 20
    # App processes serving together (`litestar run` reads the same variable): more than one
    # needs PostgreSQL, whose LISTEN/NOTIFY and advisory locks tie the processes together.
    web_concurrency: int = Field(default=1, ge=1)
    # Where people reach the app, e.g. https://leads.example.com. An https:// URL (or none at
    # all) means cookies are sent over HTTPS only and browsers are told to stay on HTTPS.
    public_url: str = ""
    # Overrides what public_url implies; local runs (`make run`, the demo, tests) set it to false.
    secure_cookies: bool | None = None
    # Comma-separated proxy addresses or networks (10.0.0.0/8) whose X-Forwarded-For is believed.
    trusted_proxies: str = ""
    # A login session ends after this long without a request, and in any case this long after login.
    session_idle_minutes: int = Field(default=120, gt=0)
    session_absolute_hours: int = Field(default=12, gt=0)
    # Webhooks go to public https URLs only; development and tests may allow http and private
    # addresses (`make run` does).
    webhook_allow_private: bool = False

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'leadheat.db'}"
        if self.web_concurrency > 1 and self.is_sqlite:
            raise ValueError(
                "WEB_CONCURRENCY > 1 needs PostgreSQL (DATABASE_URL=postgresql+asyncpg://...): the "
                "embedded SQLite database serves one process."
            )
        self.trusted_proxy_networks  # noqa: B018 - a typo fails at start, not at the first login

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return not self.public_url.startswith("http://")

    @property
    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        try:
            return [
                ip_network(part.strip(), strict=False)
                for part in self.trusted_proxies.split(",")
                if part.strip()
            ]
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {exc}") from None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """SECRET_KEY; only the embedded SQLite run may do without: a random key kept in
        var/secret.key. A server database means a deployment, which must bring its own key."""
        if self.secret_key.strip().lower() in KNOWN_DEFAULT_KEYS:
            raise InsecureSettings(
                "SECRET_KEY is set to a published example value; generate one: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if self.secret_key:
            return self.secret_key
        if not self.is_sqlite:
            raise InsecureSettings(
                "SECRET_KEY is required with PostgreSQL (it signs sessions and encrypts bot tokens); "
                "generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return generated_key(self.var_dir / "secret.key")


def generated_key(path: Path) -> str:
    """The key in `path`, created when missing: owner-only from its first byte, and whole
    (written aside, then linked into place, so a second process never reads it half-written)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:  # another process was first: use its key
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
