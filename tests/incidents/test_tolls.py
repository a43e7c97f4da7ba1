"""Derived tolls, checked by hand: child = under 18, adult woman = female and 18+, massacre = N+ civilians killed."""

import pytest

from casework.incidents.models import Incident
from casework.incidents.services import incident_refresh_tolls, incident_tolls
from tests.factories import IncidentFactory, VictimFactory

pytestmark = pytest.mark.django_db


def refreshed(incident) -> Incident:
    assert incident_refresh_tolls(incident_id=incident.pk)
    return Incident.objects.get(pk=incident.pk)


def test_age_17_is_a_child_and_age_18_is_not(case):
    incident = IncidentFactory(case=case)
    VictimFactory(incident=incident, age=17, age_band="child", sex="male")
    VictimFactory(incident=incident, age=18, age_band="adult", sex="male")
    incident = refreshed(incident)
    assert (incident.civilians_killed, incident.children_killed) == (2, 1)


def test_adult_woman_is_female_and_at_least_18(case):
    incident = IncidentFactory(case=case)
    VictimFactory(incident=incident, sex="female", age=18, age_band="adult")
    VictimFactory(incident=incident, sex="female", age=17, age_band="child")
    VictimFactory(incident=incident, sex="male", age=40, age_band="adult")
    incident = refreshed(incident)
    assert (incident.civilians_killed, incident.children_killed, incident.adult_women_killed) == (3, 1, 1)


def test_unknown_age_uses_the_age_band_and_unknown_band_counts_as_neither(case):
    incident = IncidentFactory(case=case)
    VictimFactory(incident=incident, sex="female", age=None, age_band="adult")
    VictimFactory(incident=incident, sex="female", age=None, age_band="child")
    VictimFactory(incident=incident, sex="female", age=None, age_band="unknown")
    incident = refreshed(incident)
    assert (incident.civilians_killed, incident.children_killed, incident.adult_women_killed) == (3, 1, 1)


def test_unknown_sex_is_never_an_adult_woman(case):
    incident = IncidentFactory(case=case)
    VictimFactory(incident=incident, sex="unknown", age=30, age_band="adult")
    assert refreshed(incident).adult_women_killed == 0


def test_non_civilians_and_the_injured_are_not_civilians_killed(case):
    incident = IncidentFactory(case=case)
    VictimFactory(incident=incident, combatant_status="non_civilian", status="killed")
    VictimFactory(incident=incident, combatant_status="unknown", status="killed")
    VictimFactory(incident=incident, status="injured")
    VictimFactory(incident=incident, status="injured", combatant_status="non_civilian")
    VictimFactory(incident=incident, status="missing")
    incident = refreshed(incident)
    assert (incident.civilians_killed, incident.injured) == (0, 2)


def test_massacre_starts_at_exactly_five_civilians_killed(case):
    four = IncidentFactory(case=case)
    five = IncidentFactory(case=case)
    VictimFactory.create_batch(4, incident=four)
    VictimFactory.create_batch(5, incident=five)
    VictimFactory(incident=four, combatant_status="non_civilian")
    assert refreshed(four).is_massacre is False
    assert refreshed(five).is_massacre is True


def test_massacre_threshold_is_a_setting(case, settings):
    settings.CASEWORK_MASSACRE_MIN_CIVILIANS_KILLED = 3
    incident = IncidentFactory(case=case)
    VictimFactory.create_batch(3, incident=incident)
    assert incident_tolls(incident_id=incident.pk)["is_massacre"] is True


def test_a_person_recorded_twice_is_counted_once(case):
    incident = IncidentFactory(case=case)
    first = VictimFactory(incident=incident, sex="female", age=9, age_band="child")
    VictimFactory(incident=incident, sex="female", age=9, age_band="child", duplicate_of=first)
    incident = refreshed(incident)
    assert (incident.civilians_killed, incident.children_killed) == (1, 1)


def test_refreshing_a_deleted_incident_does_nothing(case):
    incident = IncidentFactory(case=case)
    incident_id = incident.pk
    incident.delete()
    assert incident_refresh_tolls(incident_id=incident_id) is False


def test_refreshing_tolls_does_not_add_a_revision(case):
    incident = IncidentFactory(case=case)
    VictimFactory(incident=incident)
    revisions_before = incident.history.count()
    refreshed(incident)
    assert incident.history.count() == revisions_before
