"""lead owners, speed-to-lead milestones and outcomes

Revision ID: b7c4e1f09a23
Revises: ef9037e8f5fd
Create Date: 2026-11-25 16:30:00.000000

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
revision = 'b7c4e1f09a23'
down_revision = 'ef9037e8f5fd'
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


_TEMPERATURES = ("burning", "hot", "warm", "cold")


def _temperature(name: str) -> sa.Enum:
    return sa.Enum(*_TEMPERATURES, name=name, native_enum=False, create_constraint=True, length=16)


def schema_upgrades() -> None:
    """schema upgrade migrations go here."""
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_agent_id', sa.GUID(length=16), nullable=True))
        batch_op.add_column(sa.Column('outcome_reason', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('outcome_note', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('hot_at', sa.DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_contacted_at', sa.DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('contacted_temperature', _temperature('lead_contacted_temperature'), nullable=True))
        batch_op.add_column(sa.Column('peak_temperature', _temperature('lead_peak_temperature'), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_lead_assigned_agent_id_agent'), 'agent', ['assigned_agent_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_index('ix_lead_tenant_assigned_agent', ['tenant_id', 'assigned_agent_id'], unique=False)
        batch_op.create_index('ix_lead_tenant_created', ['tenant_id', 'created_at'], unique=False)

    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))


def schema_downgrades() -> None:
    """schema downgrade migrations go here."""
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('outcome_reasons')

    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_tenant_created')
        batch_op.drop_index('ix_lead_tenant_assigned_agent')
        batch_op.drop_constraint(batch_op.f('fk_lead_assigned_agent_id_agent'), type_='foreignkey')
        if op.get_bind().dialect.name == 'sqlite':
            # SQLite's table copy would keep the enums' CHECKs on the dropped columns; PostgreSQL
            # drops a column's CHECK with the column.
            batch_op.drop_constraint(op.f('ck_lead_lead_peak_temperature'), type_='check')
            batch_op.drop_constraint(op.f('ck_lead_lead_contacted_temperature'), type_='check')
        batch_op.drop_column('peak_temperature')
        batch_op.drop_column('contacted_temperature')
        batch_op.drop_column('first_contacted_at')
        batch_op.drop_column('hot_at')
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('outcome_reason')
        batch_op.drop_column('assigned_agent_id')


def data_upgrades() -> None:
    """Milestones of the leads already there, from their events: the first hot or burning event,
    the hottest band ever seen; a lead already past `new` (and not lost) counts as contacted at
    its last change, in the band it has now (the best the stored data tells)."""
    hottest = " ".join(
        f"WHEN lead.temperature = '{t}' OR EXISTS (SELECT 1 FROM lead_event e WHERE e.lead_id = lead.id "
        f"AND e.temperature_after = '{t}') THEN '{t}'"
        for t in _TEMPERATURES[:-1]
    )
    op.execute(
        f"""
        UPDATE lead SET
          hot_at = (SELECT min(e.received_at) FROM lead_event e
                    WHERE e.lead_id = lead.id AND e.temperature_after IN ('hot', 'burning')),
          peak_temperature = CASE {hottest} ELSE 'cold' END
        """
    )
    op.execute(
        """
        UPDATE lead SET first_contacted_at = updated_at, contacted_temperature = temperature
        WHERE status IN ('contacted', 'qualified', 'viewing', 'negotiating', 'won')
        """
    )


def data_downgrades() -> None:
    """Add any optional data downgrade migrations here!"""
