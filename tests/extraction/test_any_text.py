"""Any text at all: the extractor never fails, and what it returns is well-formed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.enums import PaymentMethod, PropertyType, Purpose, TransactionType
from app.domain.extraction import extract
from app.domain.leads.profile import MAX_BUDGET

# Words the extractor knows, mixed with anything, so that the odd combinations get tried
WORDS = st.sampled_from(
    [
        "villa", "2BR", "not", "no", "up to", "2M", "-", "3", "million", "k", "?", ",", "from", "to",
        "Dubai Marina", "marina", "аренда", "не", "от", "до", "млн", "тыс", "۲", "میلیون", "تا", "نه",
        "نمیخوام", "مليون", "حتى", "من", "الى", "ونص", "غرفتين", "+971", "50", "123", "4567", "cash",
        "per month", "$", "AED", "بين", "و", "between", "and", "a", "half", "studio", "or", "ли",
    ]
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=300), st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=40).map(" ".join)
)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_any_text_reads_without_error_into_well_formed_fields(text):
    found = extract(text, known_areas=("JVC", "Creek Vista Towers"), default_region="AE")
    for source in found.sources().values():
        assert source and source in text
    values = found.values()
    assert isinstance(values.get("transaction_type", TransactionType.BUY), TransactionType)
    assert isinstance(values.get("purpose", Purpose.LIVING), Purpose)
    assert isinstance(values.get("property_type", PropertyType.VILLA), PropertyType)
    assert isinstance(values.get("payment_method", PaymentMethod.CASH), PaymentMethod)
    assert 0 <= values.get("bedrooms", 0) <= 12
    low, high = values.get("budget_min"), values.get("budget_max")
    for amount in (low, high):
        assert amount is None or (isinstance(amount, int) and 0 < amount <= MAX_BUDGET)
    assert low is None or high is None or low <= high
    assert values.get("phone", "+").startswith("+")
