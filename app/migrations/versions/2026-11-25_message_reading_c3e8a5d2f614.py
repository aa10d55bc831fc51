"""reading messages: lead bedrooms and where each profile field came from

Revision ID: c3e8a5d2f614
Revises: b7c4e1f09a23
Create Date: 2026-11-25 17:45:00.000000

"""

import contextlib
import warnings
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op
from advanced_alchemy.types import Bool, EncryptedString, EncryptedText, GUID, JsonB, ORA_JSONB, DateTimeUTC, StoredObject, PasswordHash, FernetBackend, TOTPSecret, OneTimeCode
from advanced_alchemy.types.encrypted_string import PGCryptoBackend
from advanced_alchemy.types.password_hash.argon2 import Argon2Hasher
from advanced_alchemy.types.password_hash.passlib import PasslibHasher
from advanced_alchemy.types.password_hash.pwdlib import PwdlibHasher
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql


if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ("downgrade", "upgrade", "schema_upgrades", "schema_downgrades", "data_upgrades", "data_downgrades")

sa.GUID = GUID
sa.Bool = Bool
sa.DateTimeUTC = DateTimeUTC
sa.JsonB = JsonB
sa.ORA_JSONB = ORA_JSONB
sa.EncryptedString = EncryptedString
sa.EncryptedText = EncryptedText
sa.StoredObject = StoredObject
sa.PasswordHash = PasswordHash
sa.Argon2Hasher = Argon2Hasher
sa.PasslibHasher = PasslibHasher
sa.PwdlibHasher = PwdlibHasher
sa.FernetBackend = FernetBackend
sa.PGCryptoBackend = PGCryptoBackend
sa.TOTPSecret = TOTPSecret
sa.OneTimeCode = OneTimeCode

# revision identifiers, used by Alembic.
revision = 'c3e8a5d2f614'
down_revision = 'b7c4e1f09a23'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        with op.get_context().autocommit_block(), _sqlite_foreign_keys_off():
            schema_upgrades()
            data_upgrades()

def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        with op.get_context().autocommit_block(), _sqlite_foreign_keys_off():
            data_downgrades()
            schema_downgrades()


@contextlib.contextmanager
def _sqlite_foreign_keys_off():
    """SQLite's batch mode copies `lead` to a new table and drops the old one; with foreign keys
    on, that drop would cascade to every lead_event row. Off while the tables are rebuilt. The
    app's SQLite connections BEGIN by themselves (even here), and the pragma is ignored inside a
    transaction: so end it, set the pragma, and begin again."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'

    def foreign_keys(state: str) -> None:
        bind.exec_driver_sql('COMMIT')
        bind.exec_driver_sql(f'PRAGMA foreign_keys={state}')
        bind.exec_driver_sql('BEGIN')

    if sqlite:
        foreign_keys('OFF')
    try:
        yield
    finally:
        if sqlite:
            foreign_keys('ON')


def schema_upgrades() -> None:
    """schema upgrade migrations go here."""
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bedrooms', sa.Integer(), nullable=True))
        # Leads already there: no field has a known source, so a message may fill any of them.
        batch_op.add_column(
            sa.Column(
                'field_sources',
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'),
                nullable=False,
                server_default='{}',
            )
        )


def schema_downgrades() -> None:
    """schema downgrade migrations go here."""
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('field_sources')
        batch_op.drop_column('bedrooms')


def data_upgrades() -> None:
    """Add any optional data upgrades here!"""


def data_downgrades() -> None:
    """Add any optional data downgrade migrations here!"""
