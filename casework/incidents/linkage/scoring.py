"""How alike two victim records are, and why: pure functions over `PersonRecord`, no database.

The score (0–1) starts from the names (names.py: the rules of Arabic names and transliteration; rapidfuzz for
the string measures) and is lowered by what contradicts one person: another sex, ages far apart, a child and
an adult, dates of death far apart, another place. Each pair keeps its reasons: which parts agreed, which
differed and by how much, for the reviewer to judge.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from casework.incidents.linkage.names import is_arabic, known_name, name_tokens, skeleton

# Pairs scoring this much or more are shown first and counted as matches by the benchmark; reviewers see the
# weaker candidates below them.
DEFAULT_THRESHOLD = 0.8
# Candidates weaker than this are not stored at all.
STORE_MINIMUM = 0.5
# Two name parts this alike (0–1) are taken as the same part.
TOKEN_MATCH = 0.8
# What a third name part that may be the grandfather's name in one record and the family name in the other
# counts for (a part that agrees counts 1).
THIRD_PART_CREDIT = 0.5
# How much of its agreement a part loses when it stands in another role in the other name (the father's name
# in one, the grandfather's in the other).
MISPLACED_DISCOUNT = 0.5


@dataclass(frozen=True)
class PersonRecord:
    """The fields of a victim record that linkage compares."""

    id: int
    name: str
    sex: str = "unknown"
    age: int | None = None
    age_band: str = "unknown"
    day: dt.date | None = None  # the date of death (the incident's date)
    governorate_id: int | None = None
    locality: str = ""
    tokens: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        if not self.tokens:
            object.__setattr__(self, "tokens", tuple(name_tokens(self.name)))


@dataclass(frozen=True)
class Score:
    value: float
    # (code, detail) pairs, in the order they were found; reason_texts() words them for people.
    reasons: tuple[tuple[str, str], ...]


# Name parts repeat across records (a few thousand names make most lists): each pair is measured once.
@lru_cache(maxsize=262144)
def token_similarity(first: str, second: str) -> float:
    """How alike two name parts are (0–1). Two spellings of listed common names: 1 if they are the same name,
    else 0 (Muhammad is never Mahmoud). Otherwise the closer of the consonant skeletons (across scripts and
    transliterations) and, in one script, of the spellings themselves."""
    if first == second:
        return 1.0
    first_known, second_known = known_name(first), known_name(second)
    if first_known and second_known:
        return 1.0 if first_known == second_known else 0.0
    similarity = Levenshtein.normalized_similarity(skeleton(first_known or first), skeleton(second_known or second))
    if is_arabic(first) == is_arabic(second):
        similarity = max(similarity, Levenshtein.normalized_similarity(first, second))
    return similarity


def _match_tokens(first: tuple[str, ...], second: tuple[str, ...]) -> list[tuple[int, int, float]]:
    """Each part of `first` paired with the most alike unpaired part of `second` (at least TOKEN_MATCH)."""
    pairs, used = [], set()
    for index, token in enumerate(first):
        best, best_index = 0.0, None
        for other_index, other in enumerate(second):
            if other_index in used:
                continue
            similarity = token_similarity(token, other)
            if similarity > best:
                best, best_index = similarity, other_index
                if similarity == 1.0:  # none can be closer
                    break
        if best_index is not None and best >= TOKEN_MATCH:
            used.add(best_index)
            pairs.append((index, best_index, best))
    return pairs


def _roles(position: int, length: int) -> set[str]:
    """Whose name the part at `position` of a name of `length` parts may be: the person's own (given), the
    father's, an ancestor's (grandfather and above) or the family name. The second part of a two-part name is
    the father's or the family name; the last of a longer name an ancestor's or the family name."""
    if position == 0:
        return {"given"}
    if position == 1:
        return {"father", "family"} if length == 2 else {"father"}
    if position == length - 1:
        return {"ancestor", "family"}
    return {"ancestor"}


def _same_role(first_position: int, first_length: int, second_position: int, second_length: int) -> bool:
    return bool(_roles(first_position, first_length) & _roles(second_position, second_length))


def _third_part_may_differ_in_role(
    first: tuple[str, ...], second: tuple[str, ...], pairs: list[tuple[int, int, float]]
) -> bool:
    """Both names have three parts, the first two agree in place (given and father's name) and the third
    agrees with nothing: one source may give the grandfather's name where the other gives the family name."""
    if len(first) != 3 or len(second) != 3:
        return False
    matched_at = {(i, j) for i, j, _s in pairs}
    return {(0, 0), (1, 1)} <= matched_at and all(2 not in (i, j) for i, j, _s in pairs)


def name_score(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[float, list[tuple[str, str]]]:
    """How alike two names are (0–1), and why.

    Mostly the share of the shorter name's parts found in the longer one (lists give a person's name with
    or without the father's, grandfather's or family name), some of all parts; a given name that differs
    halves it (brothers share a father's and family name), one written last instead of first does not
    (a family name written first); a one-part name never scores above 0.6.
    """
    reasons: list[tuple[str, str]] = []
    if not first or not second:
        return 0.0, [("name_missing", "")]
    pairs = _match_tokens(first, second)
    matched = sum(similarity for _i, _j, similarity in pairs)
    shorter, longer = min(len(first), len(second)), max(len(first), len(second))
    if (0, 0) in {(i, j) for i, j, _s in pairs}:
        # A name is a chain (given, father's, grandfather's…, family): where a part stands says whose name it
        # is. "Huda Jamal" (Jamal her father) is not "Huda Umar Jamal Hasan" (Jamal her grandfather).
        misplaced = [(i, j, similarity) for i, j, similarity in pairs if not _same_role(i, len(first), j, len(second))]
        matched -= sum(MISPLACED_DISCOUNT * similarity for _i, _j, similarity in misplaced)
        if misplaced:
            reasons.append(("part_role_differs", ", ".join(f"{first[i]} = {second[j]}" for i, j, _s in misplaced)))
    third_part_role = _third_part_may_differ_in_role(first, second, pairs)
    if third_part_role:
        # "Anas Walid Yusuf" and "Anas Walid Haddad": given and father agree, and the third part of a
        # three-part name is the grandfather's in one source and the family name in the other as often as a
        # contradiction. Neither agreement nor difference: half a part.
        matched += THIRD_PART_CREDIT
    score = 0.8 * matched / shorter + 0.2 * matched / longer
    reasons.append(("name_parts", f"{len(pairs)}/{shorter}"))
    if third_part_role:
        reasons.append(("third_part_role", f"{first[2]} / {second[2]}"))
    spelled = [f"{first[i]} = {second[j]}" for i, j, _s in pairs if first[i] != second[j]]
    if spelled:
        reasons.append(("spelling", ", ".join(spelled)))
    matched_at = {(i, j) for i, j, _s in pairs}
    in_order = [j for _i, j, _s in sorted(pairs)] == sorted(j for _i, j, _s in pairs)
    if (0, 0) in matched_at:
        reasons.append(("given_name_same", f"{first[0]} = {second[0]}"))
    elif (0, len(second) - 1) in matched_at and (len(first) - 1, 0) in matched_at:
        in_order = False  # the family name written first in one of them
    else:
        score *= 0.5
        reasons.append(("given_name_differs", f"{first[0]} ≠ {second[0]}"))
    if not in_order:
        reasons.append(("order_differs", ""))
    if shorter == 1:
        score = min(score, 0.6)
        reasons.append(("one_part_name", ""))
    return min(score, 1.0), reasons


def _band(record: PersonRecord) -> str | None:
    if record.age is not None:
        return "child" if record.age < 18 else "adult"
    return record.age_band if record.age_band in ("child", "adult") else None


def score_pair(first: PersonRecord, second: PersonRecord, *, window_days: int = 7) -> Score:
    """How likely the two records are one person (0–1), with the reasons."""
    value, reasons = name_score(first.tokens, second.tokens)
    if "unknown" not in (first.sex, second.sex):
        if first.sex == second.sex:
            reasons.append(("sex_same", first.sex))
        else:
            value *= 0.2
            reasons.append(("sex_differs", f"{first.sex} ≠ {second.sex}"))
    if first.age is not None and second.age is not None:
        gap = abs(first.age - second.age)
        if gap <= 3:
            reasons.append(("age_close", str(gap)))
        else:
            # Ages reported by different sources drift by a few years; decades are another person.
            value *= 0.95 if gap <= 6 else 0.7 if gap <= 10 else 0.15
            reasons.append(("age_apart", str(gap)))
    elif (first_band := _band(first)) and (second_band := _band(second)):
        if first_band == second_band:
            reasons.append(("age_band_same", first_band))
        else:
            value *= 0.3
            reasons.append(("age_band_differs", f"{first_band} ≠ {second_band}"))
    if first.day is not None and second.day is not None:
        days = abs((first.day - second.day).days)
        if days == 0:
            reasons.append(("same_day", ""))
        else:
            # Sources date a death a day or two apart (the day of the strike, of death in hospital, of burial).
            value *= (1 - 0.01 * days) if days <= window_days else 0.5
            reasons.append(("days_apart", str(days)))
    if first.governorate_id is not None and second.governorate_id is not None:
        if first.governorate_id == second.governorate_id:
            reasons.append(("same_governorate", ""))
        else:
            value *= 0.5
            reasons.append(("governorate_differs", ""))
    first_place, second_place = skeleton_of_place(first.locality), skeleton_of_place(second.locality)
    if first_place and second_place:
        if first_place == second_place:
            reasons.append(("same_locality", first.locality))
        else:
            value *= 0.9
            reasons.append(("locality_differs", f"{first.locality} ≠ {second.locality}"))
    return Score(round(value, 4), tuple(reasons))


@lru_cache(maxsize=65536)
def skeleton_of_place(text: str) -> str:
    """A place name compared as names are (either script): "Douma" = "دوما"."""
    return " ".join(skeleton(token) for token in name_tokens(text))
