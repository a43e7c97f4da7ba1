"""The filters of a case's lists offer only the vocabulary that case may use: shared terms and its own."""

import pytest
from django.urls import reverse

from casework.incidents.filters import IncidentFilter, VictimFilter
from casework.incidents.models import FacilityType, Governorate, Incident, IncidentType, Occupation, Victim, WeaponType
from tests.factories import IncidentFactory, VictimFactory

pytestmark = pytest.mark.django_db

OTHER_CASES_TERM = "Secret town of the other case"


@pytest.fixture
def terms(case, other_case):
    """For each vocabulary: a term of the other case, one of this case, and a retired shared one."""
    created = {}
    for model in (Governorate, IncidentType, WeaponType, FacilityType, Occupation):
        label = model._meta.model_name
        created[model] = {
            "other": model.objects.create(case=other_case, code=f"other-{label}", name=f"{OTHER_CASES_TERM} {label}"),
            "own": model.objects.create(case=case, code=f"own-{label}", name=f"Our own {label}"),
            "retired": model.objects.create(code=f"retired-{label}", name=f"Retired {label}", is_active=False),
        }
    return created


def offered(filterset, name) -> set[str]:
    return {term.code for term in filterset.form.fields[name].queryset}


@pytest.mark.parametrize(
    ("filter_class", "names"),
    [
        (IncidentFilter, {"governorate": Governorate, "incident_type": IncidentType, "weapon": WeaponType,
                          "facility": FacilityType}),
        (VictimFilter, {"governorate": Governorate, "occupation": Occupation}),
    ],
)  # fmt: skip
def test_vocabulary_filters_offer_the_shared_terms_and_the_cases_own_only(case, terms, filter_class, names):
    filterset = filter_class({}, queryset=filter_class._meta.model.objects.all(), case=case)
    for name, model in names.items():
        codes = offered(filterset, name)
        assert terms[model]["own"].code in codes
        assert terms[model]["other"].code not in codes and terms[model]["retired"].code not in codes
        assert codes == set(model.objects.available_for(case).values_list("code", flat=True))


def test_incident_list_page_offers_no_term_of_another_case(client, intake_worker, case, terms):
    client.force_login(intake_worker)
    body = client.get(reverse("incidents:incident_list", args=[case.reference])).content.decode()
    assert "Our own governorate" in body and "Our own weapontype" in body and "Idlib" in body
    assert OTHER_CASES_TERM not in body and "Retired" not in body


def test_victim_list_page_offers_no_term_of_another_case(client, intake_worker, case, terms):
    client.force_login(intake_worker)
    body = client.get(reverse("incidents:victim_list", args=[case.reference])).content.decode()
    assert "Our own occupation" in body and "Our own governorate" in body
    assert OTHER_CASES_TERM not in body and "Retired" not in body


def test_a_term_of_another_case_is_not_accepted_and_the_cases_own_filters(client, intake_worker, case, terms):
    IncidentFactory(case=case, reference="INC-1")
    VictimFactory(incident=IncidentFactory(case=case, reference="INC-2"), occupation=terms[Occupation]["own"])
    client.force_login(intake_worker)
    other = terms[Governorate]["other"]
    response = client.get(reverse("incidents:incident_list", args=[case.reference]), {"governorate": other.pk})
    assert "governorate" in response.context["filter"].form.errors
    own = terms[Occupation]["own"]
    response = client.get(reverse("incidents:victim_list", args=[case.reference]), {"occupation": own.pk})
    assert [victim.incident.reference for victim in response.context["filter"].qs] == ["INC-2"]
    assert Incident.objects.count() == 2 and Victim.objects.count() == 1


def test_the_api_lists_offer_no_term_of_another_case_either(client, intake_worker, case, terms):
    """The API filters take codes as text and list no terms; a code of another case's term matches nothing."""
    IncidentFactory(case=case, reference="INC-1")
    client.force_login(intake_worker)
    for name in ("incidents", "victims"):
        url = f"/api/cases/{case.reference}/{name}/"
        assert OTHER_CASES_TERM not in client.get(url, HTTP_ACCEPT="text/html").content.decode()
    listed = client.get(f"/api/cases/{case.reference}/incidents/", {"governorate": terms[Governorate]["other"].code})
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert terms[Governorate]["other"].code.encode() not in client.get("/api/schema/").content
