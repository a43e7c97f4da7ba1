"""Scoring and blocking of record linkage (pure functions, no database)."""

import datetime as dt

from casework.incidents.linkage.blocking import candidate_pairs
from casework.incidents.linkage.scoring import DEFAULT_THRESHOLD, PersonRecord, score_pair

DAY = dt.date(2013, 8, 21)


def person(record_id: int, name: str, **fields) -> PersonRecord:
    return PersonRecord(id=record_id, name=name, **{"day": DAY, "governorate_id": 1, **fields})


def codes(score) -> set[str]:
    return {code for code, _detail in score.reasons}


def test_one_person_in_two_scripts_and_transliterations_scores_above_the_threshold_and_says_why():
    score = score_pair(
        person(1, "محمد بن عبد الله الحسن", sex="male", age=34),
        person(2, "Mohammed Abdullah al-Hassan", sex="male", age=35, day=DAY + dt.timedelta(days=1)),
    )
    assert score.value >= DEFAULT_THRESHOLD
    assert {"name_parts", "given_name_same", "sex_same", "age_close", "days_apart", "same_governorate"} <= codes(score)
    assert ("name_parts", "3/3") in score.reasons


def test_same_name_ages_9_and_60_do_not_match():
    score = score_pair(person(1, "Ahmad Hassan Haddad", age=9), person(2, "Ahmad Hassan Haddad", age=60))
    assert score.value < DEFAULT_THRESHOLD
    assert ("age_apart", "51") in score.reasons


def test_a_child_and_an_adult_by_age_band_do_not_match():
    score = score_pair(
        person(1, "Ahmad Hassan Haddad", age_band="child"), person(2, "Ahmad Hassan Haddad", age_band="adult")
    )
    assert score.value < DEFAULT_THRESHOLD and "age_band_differs" in codes(score)


def test_another_sex_does_not_match():
    score = score_pair(person(1, "Nour Hassan Haddad", sex="female"), person(2, "Nour Hassan Haddad", sex="male"))
    assert score.value < DEFAULT_THRESHOLD and "sex_differs" in codes(score)


def test_brothers_sharing_the_fathers_and_family_name_do_not_match():
    score = score_pair(person(1, "Ahmad Khaled Haddad"), person(2, "Omar Khaled Haddad"))
    assert score.value < DEFAULT_THRESHOLD and "given_name_differs" in codes(score)


def test_a_shorter_form_of_the_name_matches_the_full_one():
    score = score_pair(person(1, "Omar Khaled Hassan Haddad"), person(2, "عمر خالد حداد"))
    assert score.value >= DEFAULT_THRESHOLD


def test_the_family_name_written_first_is_a_difference_of_order_not_of_person():
    score = score_pair(person(1, "Haddad Omar"), person(2, "Omar Haddad"))
    assert "order_differs" in codes(score) and "given_name_differs" not in codes(score)


def test_a_third_part_that_may_be_a_grandfathers_name_in_one_and_the_family_name_in_the_other():
    # Anas son of Walid: one source adds his grandfather Yusuf, the other his family name Haddad.
    score = score_pair(
        person(1, "Anas Walid Yusuf", sex="male", age=20), person(2, "انس وليد حداد", sex="male", age=21)
    )
    assert score.value >= DEFAULT_THRESHOLD
    assert ("third_part_role", "yusuf / حداد") in score.reasons
    # Not when the given names differ (brothers, one named with the grandfather, the other with the family).
    assert score_pair(person(1, "Anas Walid Yusuf"), person(2, "Omar Walid Haddad")).value < DEFAULT_THRESHOLD
    # Nor when a four-part name gives both: then the third part contradicts.
    assert score_pair(person(1, "Anas Walid Yusuf"), person(2, "Anas Walid Omar Haddad")).value < DEFAULT_THRESHOLD


def test_a_fathers_name_that_is_the_grandfathers_in_the_other_chain_is_not_an_agreement():
    # Huda daughter of Jamal is not Huda daughter of Umar, granddaughter of Jamal.
    score = score_pair(person(1, "Huda Jamal"), person(2, "Huda Umar Jamal Hasan"))
    assert score.value < DEFAULT_THRESHOLD
    assert "part_role_differs" in codes(score)
    # The same father's name in its place agrees.
    assert score_pair(person(1, "Huda Umar"), person(2, "Huda Umar Jamal Hasan")).value >= DEFAULT_THRESHOLD


def test_a_one_part_name_never_reaches_the_threshold():
    assert score_pair(person(1, "Omar"), person(2, "Omar")).value < DEFAULT_THRESHOLD


def test_blocking_pairs_spellings_in_either_script_within_the_date_window_only():
    records = [
        person(1, "Mohammad Khaled Haddad"),
        person(2, "محمد خالد حداد", day=DAY + dt.timedelta(days=3)),
        person(3, "Muhammed Khalid", day=DAY + dt.timedelta(days=30)),  # outside the window
        person(4, "Muhammed Khalid", governorate_id=2),  # another governorate: blocked on its own
        person(5, "Samer Walid"),  # no two parts in common
    ]
    assert set(candidate_pairs(records, window_days=7)) == {(1, 2)}


def test_blocking_yields_each_pair_once():
    records = [person(1, "Mohammad Khaled Haddad Omar"), person(2, "Mohammad Khaled Haddad Omar")]
    assert list(candidate_pairs(records)) == [(1, 2)]
