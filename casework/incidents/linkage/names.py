"""Personal names as record linkage compares them: pure functions, no database.

Text is first folded by `casework.text.normalise_for_matching` (the fold search and the spreadsheet import
use: diacritics, tatweel, alef forms, ta marbuta, alef maqsura, digits, case). On top of it, the rules of
Arabic names, each a function below with its own tests:

- punctuation inside a name (the apostrophe of "Sa'id", the dot of "M.") is not a letter;
- connecting particles (bin, ibn, bint, بن, ابن, بنت) and a lone article (al, el, ال) are left out;
- عبد / Abd is one name with the word after it, written joined or split ("عبد الله" = "عبدالله",
  "Abd al-Rahman" = "Abdul Rahman" = "Abdulrahman"), and so is a kunya's أبو / Abu ("Abu Bakr" = "ابوبكر");
- the article at the front of a family name is dropped ("الحسن" = "حسن" = "Al-Hassan" = "Alhassan");
- a name written in Latin letters meets its Arabic spelling through a consonant skeleton both scripts map to
  (Mohammad, Muhammed and محمد are all "mhmd"), and common names whose skeletons collide (Muhammad and Mahmoud,
  Ahmad and Hamid) are told apart by a table of their known spellings.
"""

import re
from functools import lru_cache

from casework.text import normalise_for_matching

# Connecting particles: "son of", "daughter of". Left out, so "Ahmad bin Ali" is "Ahmad Ali".
CONNECTORS = frozenset({"bin", "ben", "ibn", "bint", "binte", "bent", "بن", "ابن", "بنت"})
# The article standing alone ("al-Hassan" is folded to "al hassan").
ARTICLES = frozenset({"al", "el", "ul", "il", "ال"})
# عبد ("servant of") is one name with the word that follows it.
ABD_ARABIC = "عبد"
ABD_LATIN = frozenset({"abd", "abdul", "abdel", "abdal", "abdol", "abdu", "abdou", "abdil", "abdoul", "abdool"})
# أبو ("father of", a kunya) likewise; its article is dropped ("Abu al-Fadl" = "ابو الفضل" = "Abufadl").
ABU_ARABIC = frozenset({"ابو", "ابي", "ابا"})
ABU_LATIN = frozenset({"abu", "abou", "abo", "aboo", "abi"})

_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
# Not a letter or digit: apostrophes, dots, commas, brackets.
_NOT_NAME = re.compile(r"[^\w\s]|_")
# Latin "abd" joined to the rest, with the article between in any spelling ("abdullah", "abdelkader",
# "abdurrahman": a sun letter doubles instead of the l; French and English writers spell the vowel "ou" or "oo":
# "abdoulkader", "abdoolah").
_ABD_JOINED = re.compile(r"^abd(?:(?:ou|oo|[aeiou])(?:l|(?=([tdrzsn])\1)))?(.+)$")
_LATIN_ARTICLE_START = re.compile(r"^(?:al|el)(?=[^aeiou])")

# Consonant skeletons: what survives transliteration. Vowels, w and y (long vowels in Arabic, written or not in
# Latin), ayn and hamza are dropped; letters a Latin writer cannot tell apart share one sign.
_ARABIC_SKELETON = str.maketrans(
    {
        "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "x", "د": "d", "ذ": "d", "ر": "r", "ز": "z",
        "س": "s", "ش": "c", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "g", "ف": "f", "ق": "k",
        "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "", "ي": "", "ا": "", "ء": "", "ئ": "", "ؤ": "",
        "ى": "", "ة": "h", "پ": "b", "چ": "c", "ڤ": "f", "گ": "j",
    }
)  # fmt: skip
# Digraphs first, to signs of their own (š for sh, ɣ for gh), so that the letters below do not remap them.
_LATIN_DIGRAPHS = (("kh", "x"), ("gh", "ɣ"), ("sh", "š"), ("ch", "š"), ("th", "t"), ("dh", "d"), ("ph", "f"),
                   ("dj", "j"))  # fmt: skip
_LATIN_SKELETON = str.maketrans(
    {
        "a": "", "e": "", "i": "", "o": "", "u": "", "y": "", "w": "", "g": "j", "q": "k", "c": "k", "p": "b",
        "v": "f", "ɣ": "g", "š": "c",
    }
)  # fmt: skip
_REPEATS = re.compile(r"(.)\1+")

# Common names whose skeletons collide with another's, each with its known spellings in both scripts (after
# normalise_for_matching): a spelling listed here compares by the name it belongs to.
KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "muhammad": ("محمد", "muhammad", "mohammad", "mohammed", "muhammed", "mohamed", "mohamad", "mohamad",
                 "muhamad", "mohd", "mhammad", "mouhamad", "mouhammad", "mehmet"),
    "mahmud": ("محمود", "mahmoud", "mahmud", "mahmood", "mahmod"),
    "ahmad": ("احمد", "ahmad", "ahmed", "ahmet", "ehmed"),
    "hamid": ("حامد", "hamid", "hamed", "hameed"),
    "hamad": ("حمد", "hamad"),
    "hamdi": ("حمدي", "hamdi", "hamdy"),
    "hamida": ("حميده", "hamida", "hamideh"),
    "hasan": ("حسن", "hasan", "hassan", "hassen"),
    "husayn": ("حسين", "husayn", "hussein", "hussain", "husain", "hussien", "hossein", "houssein"),
    "hasna": ("حسناء", "hasna", "hasnaa", "hassna"),
    "hussni": ("حسني", "husni", "hosni", "hussni"),
    "ali": ("علي", "ali", "aly"),
    "alia": ("عليا", "عاليه", "alia", "aliya", "aaliya", "alya"),
    "ola": ("علا", "ola", "oula", "ula"),
    "khalid": ("خالد", "khalid", "khaled", "khaleed"),
    "khalil": ("خليل", "khalil", "khaleel"),
    "khuld": ("خلود", "khulud", "kholoud", "kholod", "khuloud"),
    "said": ("سعيد", "said", "saeed", "saied", "sayed"),
    "sayyid": ("سيد", "sayyid", "sayid"),
    "saad": ("سعد", "saad", "sad", "saad"),
    "suad": ("سعاد", "suad", "souad", "soad"),
    "umar": ("عمر", "umar", "omar", "omer"),
    "ammar": ("عمار", "ammar", "amar"),
    "amr": ("عمرو", "amr", "amro", "amru"),
    "amir": ("امير", "amir", "ameer"),
    "amira": ("اميره", "amira", "ameera", "amirah"),
    "mari": ("مري", "mari"),
    "maryam": ("مريم", "maryam", "mariam", "miriam", "meryem"),
    "mahir": ("ماهر", "maher", "mahir"),
    "muhannad": ("مهند", "muhannad", "mohannad", "mohanad"),
    "mahdi": ("مهدي", "mahdi", "mahdy", "mehdi"),
    "hadi": ("هادي", "hadi", "hady"),
    "huda": ("هدى", "هدي", "huda", "houda", "hoda"),
    "hind": ("هند", "hind", "hend"),
    "hani": ("هاني", "hani", "hany"),
    "hana": ("هناء", "hana", "hanaa", "hanaa"),
    "nur": ("نور", "nur", "nour", "noor"),
    "nura": ("نوره", "noura", "nura", "nourah"),
    "nizar": ("نزار", "nizar", "nezar"),
    "nazir": ("نذير", "نزير", "nazir", "nadhir"),
    "muadh": ("معاذ", "muadh", "muath", "moaz", "muaz", "moath", "mouaz"),
    # ث is written th, t or s (Levantine and Turkish say s): Uthman = Othman = Osman.
    "uthman": ("عثمان", "uthman", "othman", "osman", "usman", "outhman", "osmane", "otman"),
    "aisha": ("عائشه", "عايشه", "aisha", "aysha", "aicha", "aishah"),
    "zaynab": ("زينب", "zaynab", "zainab", "zeinab", "zeynab"),
}  # fmt: skip
_KNOWN_SPELLING = {spelling: key for key, spellings in KNOWN_NAMES.items() for spelling in spellings}


def is_arabic(token: str) -> bool:
    return bool(_ARABIC_LETTER.search(token))


def strip_punctuation(text: str) -> str:
    """Apostrophes, dots and other marks inside a name are not letters: "Sa'id" = "Said", "M. Ali" = "M Ali"."""
    return _NOT_NAME.sub(lambda match: " " if match.group() in ".,;/()[]_" else "", text)


def _latin_abd(token: str) -> str | None:
    """A joined Latin عبد name in one spelling: "abdullah", "abdallah", "abd-allah" -> "abdallah"."""
    match = _ABD_JOINED.match(token)
    if match is None:
        return None
    return "abdal" + match.group(2)


def join_compounds(tokens: list[str]) -> list[str]:
    """عبد / Abd and أبو / Abu joined with the name after them (the article between kept for عبد, in one
    spelling, and dropped for أبو): "عبد الله" -> "عبدالله", "abd al rahman" -> "abdalrahman",
    "abdul rahman" -> "abdalrahman", "ابو الفضل" -> "ابوفضل", "abu bakr" -> "abubakr"."""
    joined: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1 :]
        if token == ABD_ARABIC and following:
            joined.append(token + following[0])
            index += 2
            continue
        if token in ABD_LATIN and following:
            skip = 1 if following[0] in ARTICLES and len(following) > 1 else 0
            joined.append(_latin_abd("abd" + following[skip]) or "abdal" + following[skip])
            index += 2 + skip
            continue
        if token in ABU_ARABIC and following:
            joined.append(token + strip_article(following[0]))
            index += 2
            continue
        if token in ABU_LATIN and following:
            skip = 1 if following[0] in ARTICLES and len(following) > 1 else 0
            joined.append("abu" + strip_article(following[skip]))
            index += 2 + skip
            continue
        if token.startswith("abd") and not is_arabic(token):
            token = _latin_abd(token) or token
        elif token.startswith("abu") and len(token) > 4:
            token = "abu" + strip_article(token[3:])
        joined.append(token)
        index += 1
    return joined


def strip_article(token: str) -> str:
    """The article at the front of a name: "الحسن" -> "حسن", "alhassan" -> "hassan" (Latin only before a
    consonant and in a longer word, so "Ali", "Alaa" and "Alexander" keep theirs); never in "الله"."""
    if is_arabic(token):
        if token.startswith("ال") and len(token) >= 4 and token != "الله":
            return token[2:]
        return token
    if len(token) >= 6 and _LATIN_ARTICLE_START.match(token):
        return token[2:]
    return token


def name_tokens(text: str) -> list[str]:
    """The parts of a name to compare, in order: folded, punctuation out, compounds joined, particles and
    articles out."""
    folded = normalise_for_matching(strip_punctuation(normalise_for_matching(text)))
    tokens = [token for token in folded.split() if token not in CONNECTORS]
    tokens = join_compounds(tokens)
    return [strip_article(token) for token in tokens if token not in ARTICLES]


@lru_cache(maxsize=65536)
def skeleton(token: str) -> str:
    """The consonants of a name that survive transliteration, one sign for the letters Latin writers confuse;
    repeated signs once and a final h (ta marbuta, "Fatimah") dropped, "@" in front of a name that starts with
    a vowel sound: "Mohammad", "Muhammed", "محمد" -> "mhmd"; "Abdullah", "عبدالله" -> "@bdl"."""
    # A name that starts with a vowel sound (Latin a e i o u; Arabic ا or ع) keeps a mark of it, so that Ali
    # ("@l") is not Leila ("l") and Ahmad ("@hmd") is not Hamid ("hmd").
    start = "@" if token[:1] in "aeiouاع" else ""
    if is_arabic(token):
        shape = token.translate(_ARABIC_SKELETON)
    else:
        shape = token
        for digraph, sign in _LATIN_DIGRAPHS:
            shape = shape.replace(digraph, sign)
        shape = shape.translate(_LATIN_SKELETON)
        shape = "".join(character for character in shape if character.isalpha() or character.isdigit())
    shape = _REPEATS.sub(r"\1", shape)
    if len(shape) > 1 and shape.endswith("h"):
        shape = shape[:-1]
    return start + shape if shape else token


def known_name(token: str) -> str | None:
    """The common name this spelling is listed under (KNOWN_NAMES), or None."""
    return _KNOWN_SPELLING.get(token)


def blocking_key(token: str) -> str:
    """The key a name part is grouped by when looking for candidates: its skeleton (a listed name's by its
    listed key), coarse on purpose, so that spelling and script do not keep the same person apart."""
    known = known_name(token)
    return skeleton(known) if known else skeleton(token)
