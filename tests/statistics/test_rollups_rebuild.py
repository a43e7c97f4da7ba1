"""manage.py rollups_rebuild: recounts a case's (or every case's) incident tolls and monthly rollups from the
records when they were changed behind the services' back, lists what it fixed, and changes nothing when
asked for a case that does not exist."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from casework.incidents import services
from casework.incidents.models import (
    Governorate,
    Incident,
    IncidentMonthRollup,
    IncidentOccupationToll,
    RollupWeapon,
    Victim,
    WeaponType,
)
from tests.statistics.conftest import build_tolls
from tests.statistics.test_rollups_every_door import rollups_now

pytestmark = pytest.mark.django_db

TOLLS = ("civilians_killed", "children_killed", "adult_women_killed", "injured", "civilians_injured", "is_massacre")


def stored_tolls() -> dict:
    return {
        (row.pop("case__reference"), row.pop("reference")): row
        for row in Incident.objects.values("case__reference", "reference", *TOLLS)
    } | {
        ("occupation", row.pop("incident__reference"), row.pop("occupation__code")): row
        for row in IncidentOccupationToll.objects.values(
            "incident__reference", "occupation__code", "killed", "adult_women_killed", "girls_killed"
        )
    }


def corrupt(case, other_case) -> None:
    """Changes made behind the services' back (SQL, a restore): tolls, a rollup count, a weapon row, a rollup
    row deleted, an occupation toll lost; and a rollup of the other case."""
    Incident.objects.filter(case=case, reference="A").update(civilians_killed=50, is_massacre=False)
    IncidentOccupationToll.objects.filter(incident__reference="A", occupation__code="media-worker").delete()
    march_idlib = IncidentMonthRollup.objects.get(case=case, month=dt.date(2024, 3, 1), governorate__code="idlib")
    IncidentMonthRollup.objects.filter(pk=march_idlib.pk).update(civilians_killed=99, incidents=7)
    RollupWeapon.objects.filter(rollup=march_idlib, weapon__code="barrel-bomb").delete()
    IncidentMonthRollup.objects.filter(case=case, month=dt.date(2024, 6, 1)).delete()
    IncidentMonthRollup.objects.filter(case=other_case).update(civilians_killed=1)


def run(*arguments) -> str:
    out = io.StringIO()
    call_command("rollups_rebuild", *arguments, stdout=out)
    return out.getvalue()


def test_a_corrupted_case_is_recounted_from_its_records_and_a_second_run_finds_nothing(case, other_case, tolls):
    exact_rollups, exact_tolls = rollups_now(), stored_tolls()
    corrupt(case, other_case)
    other_rollups = {key: value for key, value in rollups_now().items() if key[0] == other_case.pk}

    output = run("CW-0042")

    lines = output.splitlines()
    # One line per record, each difference as before → after.
    assert (
        "CW-0042 incident A: civilians_killed 50 → 7; is_massacre False → True; occupation media-worker none → 1/1/0"
        in lines
    ), output
    assert (
        "CW-0042 rollup 2024-03 idlib: civilians_killed 99 → 7; incidents 7 → 1; weapon barrel-bomb none → 1" in lines
    ), output
    assert "CW-0042 rollup 2024-06 hama: missing, recounted" in lines, output
    assert lines[-1] == "CW-0042: 4 incidents and 4 monthly rollups checked, 3 records fixed."
    assert "CW-0099" not in output
    # The named case is exact again; the other case was not touched.
    assert {key: value for key, value in rollups_now().items() if key[0] == case.pk} == {
        key: value for key, value in exact_rollups.items() if key[0] == case.pk
    }
    assert {key: value for key, value in rollups_now().items() if key[0] == other_case.pk} == other_rollups
    assert stored_tolls() == exact_tolls

    again = run("CW-0042")
    assert again.splitlines() == ["CW-0042: 4 incidents and 4 monthly rollups checked, nothing to fix."]


def test_all_cases_are_recounted_with_all(case, other_case, tolls):
    exact_rollups, exact_tolls = rollups_now(), stored_tolls()
    corrupt(case, other_case)
    output = run("--all")
    assert "CW-0099 rollup 2024-03 idlib: civilians_killed 1 → 6" in output.splitlines(), output
    assert output.splitlines()[-1] == "every case: 5 incidents and 5 monthly rollups checked, 4 records fixed."
    assert rollups_now() == exact_rollups and stored_tolls() == exact_tolls
    assert run("--all").splitlines()[-1].endswith("checked, nothing to fix.")


def test_a_dry_run_lists_the_differences_and_changes_nothing(case, other_case, tolls):
    corrupt(case, other_case)
    corrupted_rollups, corrupted_tolls = rollups_now(), stored_tolls()
    output = run("CW-0042", "--dry-run")
    assert "CW-0042 rollup 2024-06 hama: missing, recounted" in output.splitlines()
    assert output.splitlines()[-1].endswith("3 records to fix (dry run: nothing changed).")
    assert rollups_now() == corrupted_rollups and stored_tolls() == corrupted_tolls


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["CW-0042", "CW-NOPE"], "No case with reference 'CW-NOPE'; nothing was changed."),
        ([], "Name one or more case references, or --all (not both)."),
        (["CW-0042", "--all"], "Name one or more case references, or --all (not both)."),
    ],
)
def test_a_bad_case_reference_is_a_clear_error_and_changes_nothing(case, other_case, tolls, arguments, message):
    corrupt(case, other_case)
    corrupted_rollups, corrupted_tolls = rollups_now(), stored_tolls()
    with pytest.raises(CommandError) as error:
        run(*arguments)
    assert str(error.value) == message
    assert rollups_now() == corrupted_rollups and stored_tolls() == corrupted_tolls


def test_each_kind_of_corruption_is_fixed_exactly_and_a_second_run_finds_nothing(case, other_case, tolls):
    """A wrong count, a missing rollup row, an extra rollup row and an extra weapon row, and a victim linked as
    a duplicate in SQL: the rebuild lists and fixes exactly those, and leaves what the write path would write
    (it recounts every incident afterwards and nothing moves)."""
    idlib, homs = (Governorate.objects.get(code=code, case=None) for code in ("idlib", "homs"))
    other_rollups = {key: value for key, value in rollups_now().items() if key[0] == other_case.pk}
    Incident.objects.filter(pk=tolls["C"].pk).update(children_killed=0)
    IncidentMonthRollup.objects.filter(case=case, month=dt.date(2024, 4, 1), governorate=idlib).delete()
    extra = IncidentMonthRollup.objects.create(
        case=case, month=dt.date(2023, 1, 1), governorate=homs, incidents=2, civilians_killed=5
    )
    RollupWeapon.objects.create(rollup=extra, weapon=WeaponType.objects.get(code="mortar", case=None), incidents=2)
    march_idlib = IncidentMonthRollup.objects.get(case=case, month=dt.date(2024, 3, 1), governorate=idlib)
    RollupWeapon.objects.create(
        rollup=march_idlib, weapon=WeaponType.objects.get(code="incendiary", case=None), incidents=1
    )
    bakery_victims = Victim.objects.filter(incident=tolls["B"], duplicate_of=None, occupation=None).order_by("pk")
    Victim.objects.filter(pk=bakery_victims[1].pk).update(duplicate_of=bakery_victims[0].pk)

    output = run("CW-0042")

    assert output.splitlines() == [
        "CW-0042 incident B: civilians_killed 5 → 4; is_massacre True → False; occupation (none) 4/0/0 → 3/0/0",
        "CW-0042 incident C: children_killed 0 → 1",
        "CW-0042 rollup 2023-01 homs: civilians_killed 5 → 0; incidents 2 → 0; massacre_minimum 0 → 5;"
        " weapon mortar 2 → none",
        "CW-0042 rollup 2024-03 aleppo: civilians_killed 5 → 4; massacres 1 → 0; occupation (none) 4/0/0 → 3/0/0",
        "CW-0042 rollup 2024-03 idlib: weapon incendiary 1 → none",
        "CW-0042 rollup 2024-04 idlib: missing, recounted",
        "CW-0042: 4 incidents and 5 monthly rollups checked, 6 records fixed.",
    ]
    # The extra month keeps its row with zeros, as a write leaves a month its incidents left.
    extra.refresh_from_db()
    assert (extra.incidents, extra.civilians_killed, extra.weapons.count()) == (0, 0, 0)
    repaired_rollups, repaired_tolls = rollups_now(), stored_tolls()
    assert repaired_tolls[("CW-0042", "B")]["civilians_killed"] == 4
    assert {key: value for key, value in repaired_rollups.items() if key[0] == other_case.pk} == other_rollups
    for incident in Incident.objects.all():
        services.incident_refresh_tolls(incident_id=incident.pk)
    assert rollups_now() == repaired_rollups and stored_tolls() == repaired_tolls

    assert run("CW-0042").splitlines() == ["CW-0042: 4 incidents and 5 monthly rollups checked, nothing to fix."]


def test_months_are_those_of_time_zone_as_the_writes_count_them(settings, case, other_case):
    """B starts 2024-03-31 23:00 UTC: April in Damascus. Written in Damascus time, the rebuild agrees with the
    writes; after TIME_ZONE changes to UTC it moves B's figures to March, where the writes would put them."""
    settings.TIME_ZONE = "Asia/Damascus"
    build_tolls(case, other_case)
    assert run("CW-0042").splitlines() == ["CW-0042: 4 incidents and 4 monthly rollups checked, nothing to fix."]

    settings.TIME_ZONE = "UTC"
    assert run("CW-0042").splitlines() == [
        "CW-0042 rollup 2024-03 aleppo: missing, recounted",
        "CW-0042 rollup 2024-04 aleppo: civilians_killed 5 → 0; facility bakery 1 → none; facility medical-facility"
        " 1 → none; incidents 1 → 0; massacres 1 → 0; occupation (none) 4/0/0 → none; occupation civil-defence"
        " 1/0/0 → none; weapon incendiary 1 → none",
        "CW-0042: 4 incidents and 5 monthly rollups checked, 2 records fixed.",
    ]
    repaired = rollups_now()
    for incident in Incident.objects.all():
        services.incident_refresh_tolls(incident_id=incident.pk)
    assert rollups_now() == repaired
