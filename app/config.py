"""Settings from the environment, read once, and the framework configs built from them."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # Local state of an install: the embedded database, the generated secret, demo credentials.
    var_dir: Path = VAR
    database_url: str = Field(
        default="",
        description="sqlite+aiosqlite:///... or postgresql+asyncpg://...; default: var_dir/leadheat.db",
    )
    secret_key: str = Field(default="", description="Signs sessions and encrypts bot tokens.")
    debug: bool = False
    log_level: str = "INFO"
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """SECRET_KEY, or for a local install a random key kept in var/secret.key."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret.key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
