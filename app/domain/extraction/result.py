"""What a message states: each field's value and the words it came from."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

from app.domain.enums import PaymentMethod, PropertyType, Purpose, TransactionType
from app.domain.money import budget

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Found(Generic[T]):
    value: T
    source: str  # the words it came from, as the lead wrote them


@dataclass(frozen=True, slots=True)
class Extraction:
    """The qualification fields a message states; a field it does not state is None."""

    transaction_type: Found[TransactionType] | None = None
    purpose: Found[Purpose] | None = None
    property_type: Found[PropertyType] | None = None
    bedrooms: Found[int] | None = None
    location: Found[str] | None = None
    budget_min: Found[int] | None = None
    budget_max: Found[int] | None = None
    payment_method: Found[PaymentMethod] | None = None
    phone: Found[str] | None = None

    def values(self) -> dict[str, Any]:
        """The stated fields by lead field name, e.g. {'property_type': PropertyType.VILLA}."""
        return {f.name: found.value for f in fields(self) if (found := getattr(self, f.name)) is not None}

    def sources(self) -> dict[str, str]:
        return {f.name: found.source for f in fields(self) if (found := getattr(self, f.name)) is not None}

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def summary(self, currency: str = "AED") -> str:
        """A short line for the timeline: 'buy, 2-bedroom apartment, Dubai Marina, budget up to AED 2M'."""
        parts: list[str] = []
        if self.transaction_type:
            parts.append(self.transaction_type.value.value)
        home = self.property_type.value.value if self.property_type else ""
        if self.bedrooms and self.bedrooms.value > 0:
            home = f"{self.bedrooms.value}-bedroom {home}".strip()
        if home:
            parts.append(home)
        if self.location:
            parts.append(self.location.value)
        low = self.budget_min.value if self.budget_min else None
        high = self.budget_max.value if self.budget_max else None
        if low or high:
            parts.append(
                "budget " + budget(low, high, currency, up_to="up to {amount}", from_="from {amount}")
            )
        if self.payment_method:
            parts.append(self.payment_method.value.value)
        if self.purpose:
            parts.append(f"for {self.purpose.value.value}")
        if self.phone:
            parts.append(f"phone {self.phone.value}")
        return ", ".join(parts)


NOTHING = Extraction()
