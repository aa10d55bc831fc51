"""The closed vocabularies of a lead; stored as short strings with a CHECK constraint."""

from __future__ import annotations

import enum

import sqlalchemy as sa


class TransactionType(enum.StrEnum):
    BUY = "buy"
    RENT = "rent"


class PropertyType(enum.StrEnum):
    APARTMENT = "apartment"
    VILLA = "villa"
    TOWNHOUSE = "townhouse"
    PENTHOUSE = "penthouse"
    STUDIO = "studio"
    LAND = "land"
    COMMERCIAL = "commercial"


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    MORTGAGE = "mortgage"
    INSTALLMENTS = "installments"


class Purpose(enum.StrEnum):
    LIVING = "living"
    INVESTMENT = "investment"
    RESIDENCY = "residency"


class LeadStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    VIEWING = "viewing"
    NEGOTIATING = "negotiating"
    WON = "won"
    LOST = "lost"


# A lead moved to one of these has been contacted (its first contact is recorded then).
CONTACTED_STATUSES = frozenset(
    {LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.VIEWING, LeadStatus.NEGOTIATING, LeadStatus.WON}
)
OUTCOME_STATUSES = frozenset({LeadStatus.WON, LeadStatus.LOST})


class EventType(enum.StrEnum):
    # Interactions: they refresh recency.
    QR_SCAN = "qr_scan"
    CATALOG_VIEW = "catalog_view"
    MESSAGE = "message"
    VOICE_MESSAGE = "voice_message"
    BUTTON = "button"
    # Not interactions: recorded for the timeline and the audit trail only.
    PROFILE_UPDATE = "profile_update"
    STATUS_CHANGE = "status_change"
    CREATED = "created"

    @property
    def is_interaction(self) -> bool:
        return self in INTERACTIONS


INTERACTIONS = frozenset(
    {EventType.QR_SCAN, EventType.CATALOG_VIEW, EventType.MESSAGE, EventType.VOICE_MESSAGE, EventType.BUTTON}
)


class Role(enum.StrEnum):
    ADMIN = "admin"
    AGENT = "agent"


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing the values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
