"""login hardening: agents' first-password flag, shared login-attempt counters

Revision ID: 7c41e2a9b3d5
Revises: a18d2f2be7f5
Create Date: 2026-11-25 16:40:00.000000

"""

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
revision = '7c41e2a9b3d5'
down_revision = 'a18d2f2be7f5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        with op.get_context().autocommit_block():
            schema_upgrades()
            data_upgrades()

def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        with op.get_context().autocommit_block():
            data_downgrades()
            schema_downgrades()

def schema_upgrades() -> None:
    """schema upgrade migrations go here."""
    op.create_table('login_attempt_counter',
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt_counter')),
    sa.UniqueConstraint('key', name=op.f('uq_login_attempt_counter_key'))
    )
    # Existing agents chose their passwords long ago: false for them.
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))

def schema_downgrades() -> None:
    """schema downgrade migrations go here."""
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    op.drop_table('login_attempt_counter')

def data_upgrades() -> None:
    """Login sessions are now stored in another shape under ids only the server makes: the old
    ones (any of which may carry an id a client chose) end here."""
    op.execute(sa.text("DELETE FROM web_session"))

def data_downgrades() -> None:
    """The older code cannot read sessions of the new shape: they end too."""
    op.execute(sa.text("DELETE FROM web_session"))
