"""normalise_for_matching: the one key every comparison of typed text goes through."""

import random
import unicodedata

import pytest

from casework.text import ARABIC_DIACRITICS, normalise_for_matching

FATHA, DAMMA, KASRA, SHADDA, SUKUN = "\u064e", "\u064f", "\u0650", "\u0651", "\u0652"
TANWEEN = "\u064b\u064c\u064d"  # fathatan, dammatan, kasratan
SUPERSCRIPT_ALEF = "\u0670"
TATWEEL = "\u0640"
RLM, LRM, ZWNJ, ZWJ, ZWSP, BOM = "\u200f", "\u200e", "\u200c", "\u200d", "\u200b", "\ufeff"


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("قُتل", "قتل"),
        ("قُتِلَ", "قتل"),
        (f"مدرس{SHADDA}{FATHA}ة", "مدرسه"),
        (f"شهيد{TANWEEN[0]}ا", "شهيدا"),
        (f"كتاب{TANWEEN[1]}", "كتاب"),
        (f"رحمن{SUKUN}", "رحمن"),
        (f"ه{SUPERSCRIPT_ALEF}ذا", "هذا"),
        (f"ق{DAMMA}{SHADDA}{KASRA}ل", "قل"),
    ],
)
def test_arabic_diacritics_are_removed(typed, plain):
    assert normalise_for_matching(typed) == normalise_for_matching(plain) == plain


def test_every_mark_in_the_diacritics_range_is_removed():
    for mark in ARABIC_DIACRITICS:
        assert normalise_for_matching(f"ب{mark}ت") == "بت", f"U+{ord(mark):04X}"
    assert {f"U+{ord(mark):04X}" for mark in ARABIC_DIACRITICS} >= {"U+064B", "U+0652", "U+065F", "U+0670"}


def test_tatweel_is_removed():
    assert normalise_for_matching(f"ق{TATWEEL}{TATWEEL}ت{TATWEEL}ل") == "قتل"


@pytest.mark.parametrize("alef", ["أ", "إ", "آ", "ٱ", "ا"])
def test_alef_forms_are_one_letter(alef):
    assert normalise_for_matching(f"{alef}حمد") == "احمد"


def test_alef_with_a_combining_hamza_or_madda_is_the_bare_alef_too():
    assert normalise_for_matching("ا\u0654حمد") == normalise_for_matching("ا\u0653حمد") == "احمد"


def test_ta_marbuta_is_ha_and_alef_maqsura_is_ya():
    assert normalise_for_matching("حماة") == normalise_for_matching("حماه") == "حماه"
    assert normalise_for_matching("مستشفى") == normalise_for_matching("مستشفي") == "مستشفي"
    assert normalise_for_matching("ذخائر عنقودية") == normalise_for_matching("ذخائر عنقوديه")


def test_other_hamza_letters_stay_distinct():
    # Only the alef forms are folded; waw and ya with hamza are kept as written.
    assert normalise_for_matching("مؤمن") != normalise_for_matching("مومن")
    assert normalise_for_matching("ذخائر") != normalise_for_matching("ذخاير")


def test_arabic_presentation_forms_are_the_ordinary_letters():
    # Text copied out of some PDFs comes as contextual glyphs (U+FExx); NFKC gives the letters back.
    assert normalise_for_matching("\ufed7\ufe98\ufede") == "قتل"
    assert normalise_for_matching("\ufefb") == "لا"  # the lam-alef ligature


@pytest.mark.parametrize(
    ("typed", "plain"),
    [("٢٠١٧", "2017"), ("۲۰۱۷", "2017"), ("٠١٢٣٤٥٦٧٨٩", "0123456789"), ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
     ("１８", "18"), ("عمر ١٧ سنة", "عمر 17 سنه")],
)  # fmt: skip
def test_digits_of_every_script_here_are_ascii(typed, plain):
    assert normalise_for_matching(typed) == plain


@pytest.mark.parametrize(
    "typed",
    ["cluster munition", "cluster-munition", "Cluster_Munition", "CLUSTER  MUNITION", " cluster\tmunition\n",
     "cluster – munition", "cluster\u2010munition", "cluster\u00a0munition", "cluster__--munition",
     "ｃｌｕｓｔｅｒ－ｍｕｎｉｔｉｏｎ"],
)  # fmt: skip
def test_hyphens_underscores_and_whitespace_runs_are_one_space(typed):
    assert normalise_for_matching(typed) == "cluster munition"


def test_case_is_folded_fully():
    assert normalise_for_matching("STRASSE") == normalise_for_matching("Straße") == "strasse"
    assert normalise_for_matching("Idlib") == normalise_for_matching("IDLIB") == "idlib"


@pytest.mark.parametrize("invisible", [RLM, LRM, ZWNJ, ZWJ, ZWSP, BOM, "\u061c"])
def test_invisible_format_characters_are_removed(invisible):
    assert normalise_for_matching(f"{invisible}معرة{invisible} النعمان{invisible}") == "معره النعمان"


def test_leading_and_trailing_separators_are_stripped_and_empty_stays_empty():
    assert normalise_for_matching("  -_ إدلب _- ") == "ادلب"
    assert normalise_for_matching("") == ""
    assert normalise_for_matching(" \t-_ ") == ""


def test_words_that_differ_stay_different():
    assert normalise_for_matching("قتل") != normalise_for_matching("قاتل")
    assert normalise_for_matching("Homs") != normalise_for_matching("Hama")
    assert normalise_for_matching("barrel bomb") != normalise_for_matching("barrelbomb")


def test_a_column_name_and_its_spreadsheet_spellings_are_one_key():
    for typed in ("incident_reference", "Incident Reference", "INCIDENT-REFERENCE", f"{BOM}incident_reference"):
        assert normalise_for_matching(typed) == "incident reference"


def test_it_is_idempotent_on_random_mixed_text():
    alphabet = (
        "abcXYZ İßǅ 019_-–\t\u00a0" + "".join(chr(code) for code in range(0x0620, 0x0672))
        + "٠٥٩۰۵۹ﻗﺘﻞﻻ" + RLM + ZWJ + TATWEEL
    )  # fmt: skip
    generator = random.Random(20261129)
    for _ in range(2000):
        text = "".join(generator.choices(alphabet, k=generator.randrange(0, 25)))
        once = normalise_for_matching(text)
        assert normalise_for_matching(once) == once, repr(text)
        assert once == once.strip() and "  " not in once
        assert not any(character in once for character in ARABIC_DIACRITICS + TATWEEL + "أإآٱةى_-")
        assert unicodedata.is_normalized("NFKC", once)
