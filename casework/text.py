"""Text normalisation for comparing what people typed: one rule for every comparison.

`normalise_for_matching` is a key to compare by, never text to store or show: it folds away differences that
people do not mean (letter case, Arabic diacritics and letter variants, digit scripts, hyphens versus spaces),
so that "قُتل" finds "قتل" and "Cluster_Munition" finds "cluster-munition". The spreadsheet import matches
columns, choices and vocabulary terms with it; case-wide search and victim record linkage are to use the same
function, so that the three agree on what counts as the same word.
"""

import re
import unicodedata

# Tashkeel (fathatan to sukun, maddah and hamza above/below, subscript alef and the other marks up to U+065F)
# and the superscript ("dagger") alef: marks a writer may or may not put on the same word.
ARABIC_DIACRITICS = "".join(chr(code) for code in range(0x064B, 0x0660)) + "\u0670"
TATWEEL = "\u0640"  # stretches a word for layout; it is not a letter
_TRANSLATION = str.maketrans(
    {
        **dict.fromkeys(ARABIC_DIACRITICS + TATWEEL),
        # Alef with hamza above, hamza below, madda, wasla: written as a bare alef as often as not.
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0622": "\u0627",
        "\u0671": "\u0627",
        "\u0629": "\u0647",  # ta marbuta -> ha: "حماة" and "حماه" are the same city
        "\u0649": "\u064a",  # alef maqsura -> ya: "مستشفى" is typed "مستشفي" too
        # Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits -> 0-9 (NFKC leaves both alone).
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)
# Any run of whitespace, underscores and hyphens or dashes (after NFKC, which already turned the
# fullwidth and small forms into these) is one space: "cluster-munition", "cluster_munition" and
# "cluster  munition" are one key.
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015\u2212]+")


def normalise_for_matching(text: str) -> str:
    """The form of `text` to compare by (idempotent).

    NFKC, casefold; Arabic diacritics (U+064B–U+065F, U+0670) and tatweel removed; alef forms (أ إ آ ٱ) to ا,
    ta marbuta ة to ه, alef maqsura ى to ي; Arabic-Indic and Eastern Arabic-Indic digits to 0-9; invisible
    format characters (right-to-left marks, zero-width joiners, a byte-order mark) removed; every run of
    whitespace, underscores and hyphens or dashes to one space; stripped.
    """
    # Copied Arabic often carries direction marks and zero-width joiners a reader never sees; removed first,
    # so that they do not keep a letter and its hamza or madda apart when NFKC composes them.
    text = "".join(character for character in text if unicodedata.category(character) != "Cf")
    text = unicodedata.normalize("NFKC", text).casefold()
    # Casefolding can leave text that NFKC would change again (e.g. "ǅ" or a dotted capital I's combining dot).
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATION)
    return _SEPARATORS.sub(" ", text).strip()
