"""A consistent copy of the embedded SQLite database, taken while the app keeps writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import SQLITE_BUSY_TIMEOUT_MS

PAGES_PER_STEP = 1024  # copy a bit at a time, so the app's writers wait only briefly


class BackupError(Exception):
    """No SQLite database to copy (PostgreSQL has its own tool)."""


def backup_sqlite(settings: Settings, out: str | Path) -> int:
    """Copy the database to `out` with SQLite's online backup API and return its page count.

    The API copies a snapshot: writes committed meanwhile restart the copy of the changed
    pages, so the result is always one consistent state of the database (WAL included)."""
    if not settings.is_sqlite:
        url = make_url(settings.database_url).set(drivername="postgresql")
        raise BackupError(
            "The database is PostgreSQL: back it up with pg_dump, e.g. pg_dump --format=custom "
            f"--file=leadheat.dump '{url.render_as_string(hide_password=True)}' "
            "(restore with pg_restore; see the README)."
        )
    source_path = make_url(settings.database_url).database
    if not source_path or source_path == ":memory:" or not Path(source_path).is_file():
        raise BackupError(f"No SQLite database at {source_path}.")
    target = Path(out)
    if target.exists():
        target.unlink()  # a stale copy must not be mixed with the new one
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    target.chmod(0o600)  # phone numbers and budgets: readable by the owner only
    return int(pages)
