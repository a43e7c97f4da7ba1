"""A hand-checked set of incidents and victims; the expected figures are worked out in EXPECTED.

CW-0042 (`case`):
  A 2024-03-10 Idlib, cluster munition + barrel bomb, market; Russian forces confirmed and government forces
    possible. Civilians killed 7: a medical worker (35), a woman journalist aged exactly 18, a boy of 17, a
    girl of unknown age banded child, a woman of unknown age banded adult, a woman of unknown age and band, a
    person of unknown sex aged 30. Not counted: a duplicate of the boy, a non-civilian, one of unknown status.
    Injured: a civilian woman and a non-civilian.
  B 2024-03-31 23:00 UTC Aleppo, incendiary, bakery + medical facility; government forces confirmed.
    Exactly 5 civilian men killed (one civil-defence worker), plus a duplicate: a massacre at the default 5.
  C 2024-04-01 00:00 UTC Idlib, cluster munition, school; Russian forces possible. 4 civilians killed (a girl of
    10, a woman teacher of 40, two men) and a non-civilian: not a massacre.
  D 2024-06-15 Hama, no weapon, facility, attribution or victim.
CW-0099 (`other_case`): E 2024-03-12 Idlib, cluster munition, Russian forces confirmed, 6 civilians killed.
"""

import datetime as dt

import pytest

from casework.incidents.models import Attribution, FacilityType, Governorate, Occupation, Party, WeaponType
from casework.incidents.services import incident_refresh_tolls
from tests.factories import IncidentFactory, VictimFactory

EXPECTED = {
    "incidents": 4,
    "civilians_killed": 16,
    "children_killed": 3,
    "adult_women_killed": 3,
    "massacres": 2,
    "injured": 2,
    "civilians_injured": 1,
}


def at(year, month, day, hour=12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def incident(case, reference, start, governorate, weapons=(), facilities=(), attributions=()):
    created = IncidentFactory(
        case=case,
        reference=reference,
        start_time=start,
        governorate=Governorate.objects.get(code=governorate, case=None),
    )
    created.weapons.set(WeaponType.objects.filter(code__in=weapons, case=None))
    created.facilities_hit.set(FacilityType.objects.filter(code__in=facilities, case=None))
    incident_refresh_tolls(incident_id=created.pk)  # as incident_write does after setting the terms
    for party, confidence in attributions:
        Attribution.objects.create(
            incident=created, party=Party.objects.get(code=party), confidence=confidence, basis="Flight tracking"
        )
    return created


def occupation(code):
    return Occupation.objects.get(code=code, case=None)


def build_tolls(case, other_case):
    market = incident(
        case, "A", at(2024, 3, 10), "idlib", ["cluster-munition", "barrel-bomb"], ["market"],
        [("russian-forces", "confirmed"), ("syrian-government-forces", "possible")],
    )  # fmt: skip
    VictimFactory(incident=market, name="Medic", occupation=occupation("medical-personnel"))
    VictimFactory(
        incident=market, name="Journalist", sex="female", age=18, age_band="adult",
        occupation=occupation("media-worker"),
    )  # fmt: skip
    boy = VictimFactory(incident=market, name="Boy", age=17, age_band="child")
    VictimFactory(incident=market, name="Girl", sex="female", age=None, age_band="child")
    VictimFactory(incident=market, name="Woman", sex="female", age=None, age_band="adult")
    VictimFactory(incident=market, name="Woman of unknown age", sex="female", age=None, age_band="unknown")
    VictimFactory(incident=market, name="Unknown sex", sex="unknown", age=30, age_band="adult")
    VictimFactory(incident=market, name="Boy again", age=17, age_band="child", duplicate_of=boy)
    VictimFactory(incident=market, name="Fighter", combatant_status="non_civilian")
    VictimFactory(incident=market, name="Status unknown", combatant_status="unknown")
    VictimFactory(incident=market, name="Injured woman", sex="female", age=40, status="injured")
    VictimFactory(incident=market, name="Injured fighter", combatant_status="non_civilian", status="injured")

    bakery = incident(
        case, "B", at(2024, 3, 31, 23), "aleppo", ["incendiary"], ["bakery", "medical-facility"],
        [("syrian-government-forces", "confirmed")],
    )  # fmt: skip
    first = VictimFactory(incident=bakery, name="Rescuer", occupation=occupation("civil-defence"))
    VictimFactory.create_batch(4, incident=bakery)
    VictimFactory(incident=bakery, name="Rescuer again", duplicate_of=first)

    school = incident(
        case, "C", at(2024, 4, 1, 0), "idlib", ["cluster-munition"], ["school"], [("russian-forces", "possible")]
    )
    VictimFactory(incident=school, name="Pupil", sex="female", age=10, age_band="child")
    VictimFactory(incident=school, name="Teacher", sex="female", age=40, occupation=occupation("teacher"))
    VictimFactory.create_batch(2, incident=school)
    VictimFactory(incident=school, name="Guard", combatant_status="non_civilian")

    quiet = incident(case, "D", at(2024, 6, 15), "hama")

    elsewhere = incident(
        other_case, "E", at(2024, 3, 12), "idlib", ["cluster-munition"], [], [("russian-forces", "confirmed")]
    )
    VictimFactory.create_batch(6, incident=elsewhere)
    return {"A": market, "B": bakery, "C": school, "D": quiet, "E": elsewhere}


def more_data(case, other_case, copies: int):
    """More incidents (with three victims each), to see that a number of queries does not grow with them."""
    for n in range(copies):
        created = incident(
            case, f"X{n}", dt.datetime(2023, 1 + n % 12, 5, tzinfo=dt.UTC), "homs", ["mortar"], ["mosque"],
            [("isis", "likely")],
        )  # fmt: skip
        VictimFactory.create_batch(3, incident=created)


@pytest.fixture
def tolls(case, other_case):
    return build_tolls(case, other_case)
