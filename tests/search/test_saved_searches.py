"""Saved searches: named, shared with the case team (or kept private), re-run, and the scope of a packet."""

import pytest
from django.urls import reverse

from casework.search.models import SavedSearch
from casework.search.services import saved_search_create
from tests.search.test_search import new_incident, new_testimony


@pytest.fixture
def incidents(case, intake_worker):
    market = new_incident(case, intake_worker, reference="INC-1", title="Airstrike on the market")
    hospital = new_incident(case, intake_worker, reference="INC-2", title="Shelling of the hospital")
    other = new_incident(case, intake_worker, reference="INC-3", title="Checkpoint arrests")
    new_testimony(case, intake_worker, "The hospital was hit twice", incident=other)
    return market, hospital, other


def test_saving_a_search_shares_it_with_the_team_and_rerunning_gives_the_same_hits(
    case, intake_worker, analyst, incidents, client
):
    client.force_login(intake_worker)
    page = reverse("search:search", args=[case.reference])
    response = client.post(
        reverse("search:saved_search_create", args=[case.reference]),
        {"name": "Hospital attacks", "shared": "on", "parameters": "q=hospital&kind=incident&kind=testimony"},
    )
    saved = SavedSearch.objects.get(name="Hospital attacks")
    assert saved.parameters == {"q": "hospital", "kind": ["incident", "testimony"]}
    assert response.status_code == 302 and response["Location"].startswith(page)

    client.force_login(analyst)
    listing = client.get(page).content.decode()
    assert "Hospital attacks" in listing
    rerun = client.get(response["Location"]).content.decode()
    assert "INC-2: Shelling of the hospital" in rerun and "<mark>hospital</mark> was hit twice" in rerun
    assert "Airstrike on the market" not in rerun


def test_a_private_saved_search_is_listed_only_for_its_author(case, intake_worker, analyst, client):
    saved_search_create(case=case, actor=intake_worker, name="My drafts", parameters={"q": "x"}, shared=False)
    client.force_login(analyst)
    assert "My drafts" not in client.get(reverse("search:search", args=[case.reference])).content.decode()
    client.force_login(intake_worker)
    assert "My drafts" in client.get(reverse("search:search", args=[case.reference])).content.decode()


def test_only_the_author_deletes_a_saved_search(case, intake_worker, analyst, client):
    saved = saved_search_create(case=case, actor=intake_worker, name="Shared", parameters={"q": "x"}, shared=True)
    url = reverse("search:saved_search_delete", args=[case.reference, saved.pk])
    client.force_login(analyst)
    client.post(url)
    assert SavedSearch.objects.filter(pk=saved.pk).exists()
    client.force_login(intake_worker)
    client.post(url)
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()


def test_a_nameless_or_repeated_name_is_refused_and_nothing_is_saved(case, intake_worker, client):
    saved_search_create(case=case, actor=intake_worker, name="Once", parameters={"q": "x"}, shared=True)
    client.force_login(intake_worker)
    url = reverse("search:saved_search_create", args=[case.reference])
    client.post(url, {"name": "  ", "parameters": "q=x"})
    response = client.post(url, {"name": "Once", "parameters": "q=y"}, follow=True)
    assert "You already have a saved search with this name." in response.content.decode()
    assert list(SavedSearch.objects.values_list("name", flat=True)) == ["Once"]


def test_outsider_cannot_save_or_see_saved_searches(case, intake_worker, outsider, client):
    saved = saved_search_create(case=case, actor=intake_worker, name="Shared", parameters={"q": "x"}, shared=True)
    client.force_login(outsider)
    assert client.post(reverse("search:saved_search_create", args=[case.reference]), {"name": "n"}).status_code == 404
    assert client.post(reverse("search:saved_search_delete", args=[case.reference, saved.pk])).status_code == 404
    assert (
        client.get(reverse("bundles:bundle_list", args=[case.reference]), {"saved_search": saved.pk}).status_code == 404
    )


def test_a_saved_search_scopes_a_packet_request_to_the_incidents_behind_its_hits(
    case, intake_worker, case_admin, incidents, client
):
    market, hospital, other = incidents
    saved = saved_search_create(
        case=case, actor=intake_worker, name="Hospital", parameters={"q": "hospital"}, shared=True
    )
    client.force_login(case_admin)
    response = client.get(reverse("bundles:bundle_list", args=[case.reference]), {"saved_search": saved.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["scope"] == "incidents"
    assert sorted(form.initial["incidents"]) == sorted([hospital.pk, other.pk])
    page = response.content.decode()
    assert "INC-2" in page and "INC-3" in page
