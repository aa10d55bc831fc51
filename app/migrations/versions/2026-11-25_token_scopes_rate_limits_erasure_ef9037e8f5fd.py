"""token scopes, rate limits and the erasure audit

Revision ID: ef9037e8f5fd
Revises: 373d6ff62c2e
Create Date: 2026-11-25 16:20:00.000000

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
revision = 'ef9037e8f5fd'
down_revision = '373d6ff62c2e'
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
    # Plain ALTER TABLE ADD/DROP COLUMN on both databases (SQLite >= 3.35), never batch mode's
    # copy-and-drop: dropping `tenant` on SQLite would cascade-delete every row that refers to it.
    # Tokens made before scopes existed can do everything: the server default is 'admin'.
    op.add_column('api_token', sa.Column('scope', sa.String(length=8), server_default='admin', nullable=False))
    op.add_column('api_token', sa.Column('bucket_tokens', sa.Float(), nullable=True))
    op.add_column('api_token', sa.Column('bucket_at', sa.Float(), nullable=True))
    op.add_column('api_token', sa.Column('bucket_grant', sa.Float(), server_default='0', nullable=False))
    op.add_column('tenant', sa.Column('api_rate_per_second', sa.Integer(), server_default='50', nullable=False))
    op.add_column('tenant', sa.Column('api_burst', sa.Integer(), server_default='100', nullable=False))

    op.create_table('lead_erasure',
    sa.Column('lead_id', sa.GUID(length=16), nullable=False),
    sa.Column('erased_by', sa.String(length=200), nullable=False),
    sa.Column('erased_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.GUID(length=16), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_lead_erasure_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_erasure'))
    )
    with op.batch_alter_table('lead_erasure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_erasure_tenant_id'), ['tenant_id'], unique=False)


def schema_downgrades() -> None:
    """schema downgrade migrations go here."""
    with op.batch_alter_table('lead_erasure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_erasure_tenant_id'))

    op.drop_table('lead_erasure')
    for column in ('api_burst', 'api_rate_per_second'):
        op.drop_column('tenant', column)
    for column in ('bucket_grant', 'bucket_at', 'bucket_tokens', 'scope'):
        op.drop_column('api_token', column)


def data_upgrades() -> None:
    """Add any optional data upgrade migrations here!"""

def data_downgrades() -> None:
    """Add any optional data downgrade migrations here!"""
