"""What a lead does not want, and what a lead asks, fills nothing."""

from __future__ import annotations

import pytest

from app.domain.enums import PaymentMethod, PropertyType, TransactionType
from app.domain.extraction import extract


@pytest.mark.parametrize(
    "text",
    [
        "not a villa",
        "no mortgage",
        "I don't need a mortgage",
        "without installments",
        "ویلا نمیخوام",
        "وام نه",
        "مش فيلا",
        "بدون تمويل",
        "ما أبي تاون هاوس",
        "не вилла",
        "без ипотеки",
        "ипотека не нужна",
        "не нужна ипотека",
    ],
)
def test_a_negated_value_is_not_read(text):
    assert not extract(text), extract(text).values()


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("not a villa, an apartment", "property_type", PropertyType.APARTMENT),
        ("no mortgage, cash", "payment_method", PaymentMethod.CASH),
        ("Not looking to rent, want to buy", "transaction_type", TransactionType.BUY),
        ("ویلا نمیخوام، آپارتمان میخوام", "property_type", PropertyType.APARTMENT),
        ("اجاره نه، خرید", "transaction_type", TransactionType.BUY),
        ("مو إيجار، شراء", "transaction_type", TransactionType.BUY),
        ("Не аренда, покупка", "transaction_type", TransactionType.BUY),
        ("Наличными не могу, только рассрочка", "payment_method", PaymentMethod.INSTALLMENTS),
    ],
)
def test_the_value_next_to_a_negated_one_is_read(text, field, value):
    assert extract(text).values() == {field: value}


def test_a_negation_reaches_only_the_next_value():
    found = extract("no mortgage and cash")
    assert found.values() == {"payment_method": PaymentMethod.CASH}


@pytest.mark.parametrize(
    "text",
    [
        "do you have villas?",
        "do you have villas in Jumeirah",  # no question mark, still a question
        "any studios in International City?",
        "how much is a 2br in business bay?",
        "آیا آپارتمان دو خوابه در مارینا دارید؟",
        "ویلا دارید تو جمیرا",
        "هل عندكم فلل في جميرا؟",
        "كم سعر الفلل في النخلة",
        "Есть ли двушки в Марине?",
        "Сколько стоят виллы на Пальме",
    ],
)
def test_a_question_fills_nothing(text):
    assert not extract(text), extract(text).values()


def test_a_statement_before_a_question_is_read():
    found = extract("I want a villa in Jumeirah, but do you have townhouses too?")
    assert found.values() == {"property_type": PropertyType.VILLA, "location": "Jumeirah"}


@pytest.mark.parametrize(
    "text",
    [
        "apartment or villa",
        "villa or townhouse in Damac Hills",
        "2 or 3 bedrooms",
        "Marina or JLT",
    ],
)
def test_a_choice_between_two_values_is_left_empty(text):
    values = extract(text).values()
    for field in ("property_type", "bedrooms"):
        assert field not in values
    assert "location" not in values or text.startswith("villa")


def test_the_narrower_type_wins_over_apartment():
    assert extract("studio apartment").values() == {"property_type": PropertyType.STUDIO, "bedrooms": 0}
    assert extract("penthouse apartment").property_type.value == PropertyType.PENTHOUSE


def test_what_they_move_from_is_not_what_they_want():
    assert extract("upgrading from our apartment to a villa").property_type.value == PropertyType.VILLA
    assert extract("переехать из квартиры в виллу").property_type.value == PropertyType.VILLA


def test_where_they_live_or_work_now_is_not_where_they_want():
    found = extract("my office is in Business Bay, looking for a villa in Arabian Ranches")
    assert found.values() == {"property_type": PropertyType.VILLA, "location": "Arabian Ranches"}
    assert extract("I live in JLT, want to buy in Dubai Hills").location.value == "Dubai Hills Estate"
