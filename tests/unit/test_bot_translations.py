"""The bot's catalogs: every string in the code translated, the compiled files current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.bot.i18n import LANGUAGES, LOCALES, i18n, in_every_language, language_of
from app.bot.questions import CATALOG, CHOICES, LANGUAGE, PREFERENCES, QUESTIONS, budget_label

TRANSLATED = [code for code in LANGUAGES if code != "en"]  # English is the source language
PLACEHOLDER = re.compile(r"\{\w+\}")


def catalog(code: str):
    with (LOCALES / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=code)


def strings_in_code() -> set[str]:
    app_bot = Path(LOCALES).parent
    keywords = {"_": None, "N_": None}
    return {message for _file, _line, message, *_ in extract_from_dir(app_bot, keywords=keywords)}


def test_the_code_marks_the_bots_strings():
    marked = strings_in_code()
    assert "What is your budget?" in marked  # a question, marked where it is defined
    assert CATALOG in marked and "Up to {amount}" in marked
    assert len(marked) >= 40


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_string_is_translated(code):
    messages = {m.id: m for m in catalog(code) if m.id}
    missing = strings_in_code() - messages.keys()
    assert not missing, f"run `make translations` and translate: {sorted(missing)}"
    for message in messages.values():
        assert message.string, f"{code}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{code}: fuzzy {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id))


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalog_matches_the_po_file(code):
    """A .po edited without `make translations` would leave the bot on the old words."""
    for message in catalog(code):
        if message.id:
            assert i18n.gettext(message.id, locale=code) == message.string, message.id


def test_english_is_the_source_and_unknown_languages_get_it():
    assert i18n.gettext("What is your budget?", locale="en") == "What is your budget?"
    assert i18n.gettext("What is your budget?", locale="fa") == "بودجهٔ شما چقدر است؟"
    assert language_of("ar-AE") == "ar"
    assert language_of("RU") == "ru"
    assert language_of("de") == "en"
    assert language_of(None) == "en"


def test_menu_labels_are_recognised_in_every_language():
    for label in (CATALOG, PREFERENCES, LANGUAGE):
        assert len(in_every_language(label)) == len(LANGUAGES)
    assert "📄 Каталог" in in_every_language(CATALOG)
    assert not in_every_language(CATALOG) & in_every_language(PREFERENCES)


def test_questions_and_choices_translate():
    with i18n.use_locale("ru"):
        assert i18n.gettext(QUESTIONS["transaction_type"]) == "Вы хотите купить или арендовать?"
        assert i18n.gettext(CHOICES["payment_method"]["mortgage"]) == "Ипотека"


@pytest.mark.parametrize(
    ("code", "up_to", "from_"),
    [
        ("en", "Up to AED 1M", "From AED 5M"),
        ("ru", "до AED 1M", "от AED 5M"),
        ("ar", "حتى AED 1M", "من AED 5M"),
    ],
)
def test_budget_buttons_speak_the_leads_language(code, up_to, from_):
    with i18n.use_locale(code):
        assert budget_label(0, 1_000_000, "AED") == up_to
        assert budget_label(5_000_000, 0, "AED") == from_
        assert budget_label(1_000_000, 2_500_000, "AED") == "AED 1M - 2.5M"
