"""Numbers as written: separators, Persian and Arabic digits, number words in four languages."""

from __future__ import annotations

import pytest

from app.domain.extraction.numbers import parse_digits, read_number
from app.domain.extraction.text import fold, tokenize


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2500000", 2_500_000),
        ("2,500,000", 2_500_000),
        ("2.500.000", 2_500_000),
        ("1,234.5", 1234.5),
        ("1.5", 1.5),
        ("2,5", 2.5),  # a Russian decimal comma
        ("2/5", 2.5),  # a Persian decimal slash ('۲/۵')
        ("120,000", 120_000),
    ],
)
def test_digits_with_separators(raw, value):
    assert parse_digits(raw) == value


def test_an_unreadable_mix_of_separators_is_no_number():
    assert parse_digits("1,23.45,6") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("۲۵۰۰۰۰۰", 2_500_000),  # Persian digits
        ("٢٥٠٠٠٠٠", 2_500_000),  # Arabic-Indic digits
        ("١٫٥", 1.5),  # Arabic decimal separator
        ("two", 2),
        ("twenty five", 25),
        ("one and half", 1.5),
        ("دو", 2),
        ("یک و نیم", 1.5),
        ("صد و پنجاه", 150),
        ("اثنين", 2),
        ("ثلاثة", 3),
        ("ثمانمية", 800),
        ("два", 2),
        ("полтора", 1.5),
        ("двести пятьдесят", 250),
    ],
)
def test_number_in_digits_or_words(text, value):
    tokens = tokenize(fold(text))
    words, kinds = [t.text for t in tokens], [t.kind for t in tokens]
    assert read_number(words, kinds, 0) == (value, len(tokens))


def test_a_word_that_is_not_a_number():
    tokens = tokenize(fold("villa"))
    assert read_number([tokens[0].text], [tokens[0].kind], 0) is None


def test_folding_keeps_offsets_so_source_words_are_cut_from_the_original():
    text = "Ищу ЁЛКУ ۲ میلیون، شقة"
    assert len(fold(text)) == len(text)
    assert fold("ي ك ة أ") == "ی ک ه ا"
