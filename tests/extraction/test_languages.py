"""The issue's example message, and the like, in each language; places, bedrooms, phones."""

from __future__ import annotations

import pytest

from app.domain.enums import PaymentMethod, PropertyType, Purpose, TransactionType
from app.domain.extraction import extract

THE_EXAMPLE = {
    "property_type": PropertyType.APARTMENT,
    "bedrooms": 2,
    "location": "Dubai Marina",
    "budget_max": 2_000_000,
    "payment_method": PaymentMethod.CASH,
}


@pytest.mark.parametrize(
    "text",
    [
        "Hi, looking for a 2BR apartment in Dubai Marina, budget up to 2M, cash",
        "دنبال آپارتمان دو خوابه در دبی مارینا هستم، تا ۲ میلیون درهم، نقدی",
        "مرحبا، أبحث عن شقة غرفتين في دبي مارينا، الميزانية حتى ٢ مليون درهم، كاش",
        "Здравствуйте, ищу квартиру с двумя спальнями в Дубай Марине, бюджет до 2 млн, наличные",
    ],
)
def test_the_issue_example_in_four_languages(text):
    assert extract(text).values() == THE_EXAMPLE


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("buy", "transaction_type", TransactionType.BUY),
        ("خرید", "transaction_type", TransactionType.BUY),
        ("شراء", "transaction_type", TransactionType.BUY),
        ("купить", "transaction_type", TransactionType.BUY),
        ("lease", "transaction_type", TransactionType.RENT),
        ("اجاره", "transaction_type", TransactionType.RENT),
        ("إيجار", "transaction_type", TransactionType.RENT),
        ("аренду", "transaction_type", TransactionType.RENT),
        ("golden visa", "purpose", Purpose.RESIDENCY),
        ("گلدن ویزا", "purpose", Purpose.RESIDENCY),
        ("الإقامة الذهبية", "purpose", Purpose.RESIDENCY),
        ("золотая виза", "purpose", Purpose.RESIDENCY),
        ("to rent it out", "purpose", Purpose.INVESTMENT),
        ("сдавать в аренду", "purpose", Purpose.INVESTMENT),
        ("flat", "property_type", PropertyType.APARTMENT),
        ("شقة", "property_type", PropertyType.APARTMENT),
        ("آپارتمان", "property_type", PropertyType.APARTMENT),
        ("квартиру", "property_type", PropertyType.APARTMENT),
        ("ویلا", "property_type", PropertyType.VILLA),
        ("таунхаус", "property_type", PropertyType.TOWNHOUSE),
        ("plot", "property_type", PropertyType.LAND),
        ("مكتب", "property_type", PropertyType.COMMERCIAL),
        ("payment plan", "payment_method", PaymentMethod.INSTALLMENTS),
        ("اقساط", "payment_method", PaymentMethod.INSTALLMENTS),
        ("بالتقسيط", "payment_method", PaymentMethod.INSTALLMENTS),
        ("рассрочка", "payment_method", PaymentMethod.INSTALLMENTS),
        ("وام", "payment_method", PaymentMethod.MORTGAGE),
        ("ипотека", "payment_method", PaymentMethod.MORTGAGE),
        ("نقد", "payment_method", PaymentMethod.CASH),
    ],
)
def test_one_word_per_language(text, field, value):
    assert extract(text).values() == {field: value}


@pytest.mark.parametrize(
    ("text", "bedrooms"),
    [
        ("2BR", 2),
        ("2 bed", 2),
        ("two-bedroom", 2),
        ("3 bedrooms", 3),
        ("دو خوابه", 2),
        ("۲خوابه", 2),
        ("غرفتين", 2),
        ("3 غرف نوم", 3),
        ("غرفة وصالة", 1),
        ("двушка", 2),
        ("с тремя спальнями", 3),
        ("4 спальни", 4),
    ],
)
def test_bedrooms_and_a_bare_count_means_an_apartment(text, bedrooms):
    assert extract(text).values() == {"bedrooms": bedrooms, "property_type": PropertyType.APARTMENT}


def test_bedrooms_with_a_named_type_keep_the_type():
    assert extract("4 bedroom villa").values() == {"bedrooms": 4, "property_type": PropertyType.VILLA}


def test_a_studio_has_no_bedroom():
    assert extract("studio").values() == {"property_type": PropertyType.STUDIO, "bedrooms": 0}


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("in Dubai Marina", "Dubai Marina"),
        ("مرسى دبي", "Dubai Marina"),
        ("Дубай Марине", "Dubai Marina"),
        ("الخليج التجاري", "Business Bay"),  # not 'commercial'
        ("Dubai Land", "Dubailand"),  # not 'land'
        ("jumeira park", "Jumeirah Park"),  # misspelt
        ("Bussiness bay", "Business Bay"),
        ("downtwon", "Downtown Dubai"),
        ("بالمارينا", "Dubai Marina"),  # with a clitic
    ],
)
def test_places_in_the_gazetteer(text, place):
    assert extract(text).location.value == place


def test_the_agency_spelling_of_a_known_place_wins():
    found = extract("jumeirah village circle", known_areas=["JVC"])
    assert found.location.value == "JVC"
    assert extract("jumeirah village circle").location.value == "Jumeirah Village Circle"


def test_an_agency_area_missing_from_the_gazetteer_is_found_too():
    assert (
        extract("Creek Vista Towers", known_areas=["Creek Vista Towers"]).location.value
        == "Creek Vista Towers"
    )
    assert (
        extract("creek vista tower pls", known_areas=["Creek Vista Towers"]).location.value
        == "Creek Vista Towers"
    )


def test_odd_agency_area_names_are_harmless():
    found = extract("villa in Dubai Marina", known_areas=["", "  ", "-", "?!", "Dubai Marina"])
    assert found.location.value == "Dubai Marina"


def test_a_city_alone_counts_only_in_a_message_about_a_property():
    assert extract("a flat in Sharjah").location.value == "Sharjah"
    assert extract("We'll be in Dubai next week").location is None
    assert extract("Saadiyat island, abu dhabi").location.value == "Saadiyat Island"


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("my number is 050 123 4567", "+971501234567"),
        ("شماره من ۰۵۰۱۲۳۴۵۶۷", "+971501234567"),
        ("Мой номер +7 916 123-45-67", "+79161234567"),
        ("whatsapp 00971501112233", "+971501112233"),
    ],
)
def test_phone_in_the_agency_region(text, phone):
    found = extract(text, default_region="AE")
    assert found.phone.value == phone
    assert found.budget_max is None  # the phone's digits are no budget


def test_without_a_region_only_international_numbers_are_read():
    assert extract("050 123 4567").phone is None
    assert extract("+971 50 123 4567").phone.value == "+971501234567"


def test_the_summary_for_the_timeline():
    found = extract("Hi, looking for a 2BR apartment to buy in Dubai Marina, budget up to 2M, cash")
    assert found.summary() == "buy, 2-bedroom apartment, Dubai Marina, budget up to AED 2M, cash"
    assert extract("hello").summary() == ""


def test_sources_are_the_words_as_written():
    found = extract("دنبال آپارتمان دو خوابه در دبی مارینا هستم، تا ۲ میلیون درهم، نقدی")
    assert found.sources() == {
        "property_type": "آپارتمان",
        "bedrooms": "دو خوابه",
        "location": "دبی مارینا",
        "budget_max": "تا ۲ میلیون درهم",
        "payment_method": "نقدی",
    }


@pytest.mark.parametrize("text", ["", "   ", "🙏🙏", "?!", "x" * 100_000])
def test_empty_and_odd_text(text):
    assert not extract(text)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("ye apartman 2 khabe mikham", {"property_type": PropertyType.APARTMENT, "bedrooms": 2}),
        ("abi sha2a, kash", {"property_type": PropertyType.APARTMENT, "payment_method": PaymentMethod.CASH}),
        (
            "ishu kvartiru v arendu",
            {"property_type": PropertyType.APARTMENT, "transaction_type": TransactionType.RENT},
        ),
    ],
)
def test_persian_arabic_and_russian_in_latin_letters(text, want):
    assert extract(text).values() == want
