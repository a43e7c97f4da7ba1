"""Reviewers' decisions on pairs of victim records: clusters (transitive), the warning when a cluster would join
people marked different, audit and undo, counting each cluster once in every figure, and who may decide."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from casework.incidents.linkage import services as linkage
from casework.incidents.models import Governorate, LinkCandidate, LinkDecision, Victim
from casework.incidents.tasks import linkage_find_candidates_task
from casework.statistics.selectors import StatisticsFilter, merged_records, records_behind, statistics_summary
from tests.factories import IncidentFactory, VictimFactory
from tests.helpers import admin_url
from tests.statistics.test_rollups_every_door import assert_figures_equal_their_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def strike(case):
    return IncidentFactory(
        case=case,
        governorate=Governorate.objects.get(code="idlib", case=None),
        start_time=timezone.make_aware(dt.datetime(2024, 3, 10, 12)),
    )


@pytest.fixture
def three_reports(strike):
    """One man reported by a hospital list, a local council and a witness, in two scripts."""
    return [
        VictimFactory(incident=strike, name=name, source_name=source, age=age)
        for name, source, age in (
            ("Mohammad Abdullah al-Hassan", "Hospital list", 34),
            ("محمد عبد الله الحسن", "Local council", 35),
            ("Muhammed bin Abdallah Alhassan", "Witness", 34),
        )
    ]


def counted_killed(case) -> int:
    return statistics_summary(StatisticsFilter(case_ids=(case.pk,))).totals["civilians_killed"].value


def test_same_person_decisions_form_clusters_transitively(three_reports, reviewer, case):
    first, second, third = three_reports
    linkage.linkage_decide(first=first, second=second, verdict="same", actor=reviewer)
    linkage.linkage_decide(first=third, second=second, verdict="same", actor=reviewer)

    assert {victim.pk: victim.duplicate_of_id for victim in Victim.objects.all()} == {
        first.pk: None,
        second.pk: first.pk,
        third.pk: first.pk,  # joined through the second record
    }
    assert Victim.objects.counted().count() == 1
    assert counted_killed(case) == 1


def test_a_cluster_is_counted_once_and_the_records_behind_the_figure_show_the_cluster(
    three_reports, reviewer, case, client, analyst
):
    first, second, third = three_reports
    VictimFactory(incident=first.incident, name="Huda Khaled", sex="female")
    linkage.linkage_decide(first=first, second=second, verdict="same", actor=reviewer)
    linkage.linkage_decide(first=second, second=third, verdict="same", actor=reviewer)

    filters = StatisticsFilter(case_ids=(case.pk,))
    figure = statistics_summary(filters).totals["civilians_killed"]
    behind = records_behind(figure.measure, filters, **figure.breakdown)
    assert figure.value == 2 and {victim.name for victim in behind} == {first.name, "Huda Khaled"}
    assert merged_records(filters) == 2
    assert_figures_equal_their_records(case)

    client.force_login(analyst)
    page = client.get(reverse("statistics:records"), {"measure": "civilians_killed"}).content.decode()
    assert "Mohammad Abdullah al-Hassan" in page and '<td class="number">3</td>' in page
    overview = client.get(reverse("statistics:overview")).content.decode()
    assert "2 records were merged into other records of the same person" in overview


def test_joining_people_marked_different_is_refused_until_confirmed(three_reports, reviewer):
    first, second, third = three_reports
    linkage.linkage_decide(first=first, second=third, verdict="different", actor=reviewer)
    linkage.linkage_decide(first=first, second=second, verdict="same", actor=reviewer)

    with pytest.raises(linkage.ConflictingDecision) as refused:
        linkage.linkage_decide(first=second, second=third, verdict="same", actor=reviewer)
    assert refused.value.pairs == [(first.pk, third.pk)]
    assert Victim.objects.get(pk=third.pk).duplicate_of_id is None  # nothing written
    assert LinkDecision.objects.count() == 2

    decided = linkage.linkage_decide(first=second, second=third, verdict="same", actor=reviewer, confirm=True)
    assert decided.conflicts == [(first.pk, third.pk)] and decided.decision.joined_despite_conflict
    assert Victim.objects.get(pk=third.pk).duplicate_of_id == first.pk


@pytest.fixture
def marked_different(three_reports, reviewer):
    """The first and third reports marked as different people; the first and second as the same person."""
    first, second, third = three_reports
    linkage.linkage_decide(first=first, second=third, verdict="different", actor=reviewer)
    linkage.linkage_decide(first=first, second=second, verdict="same", actor=reviewer)
    return three_reports


def test_the_api_refuses_a_duplicate_link_joining_people_marked_different_until_confirmed(
    marked_different, reviewer, case, api
):
    _first, second, third = marked_different
    api.force_authenticate(reviewer)
    url = f"/api/cases/{case.reference}/victims/{third.pk}/duplicate-of/"

    refused = api.post(url, {"duplicate_of": second.pk}, format="json")
    assert refused.status_code == 400
    assert "marked as different people" in refused.json()["confirm"][0]
    assert Victim.objects.get(pk=third.pk).duplicate_of_id is None and LinkDecision.objects.count() == 2
    assert api.post(url, {"duplicate_of": second.pk, "confirm": "maybe"}, format="json").status_code == 400
    assert LinkDecision.objects.count() == 2

    confirmed = api.post(url, {"duplicate_of": second.pk, "confirm": True}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["duplicate_of"] == marked_different[0].pk
    assert LinkDecision.objects.order_by("id").last().joined_despite_conflict


def test_the_admin_refuses_a_duplicate_link_joining_people_marked_different_until_confirmed(
    marked_different, reviewer, client
):
    first, second, third = marked_different
    reviewer.is_staff = True
    reviewer.save(update_fields=["is_staff"])
    client.force_login(reviewer)
    change_url = admin_url(Victim, "change", third.pk)

    refused = client.post(change_url, {"duplicate_of": second.pk}, follow=True)
    assert "marked as different people" in refused.content.decode()
    assert Victim.objects.get(pk=third.pk).duplicate_of_id is None and LinkDecision.objects.count() == 2

    assert client.post(change_url, {"duplicate_of": second.pk, "confirm_join": "on"}).status_code == 302
    assert Victim.objects.get(pk=third.pk).duplicate_of_id == first.pk
    assert LinkDecision.objects.order_by("id").last().joined_despite_conflict


def test_every_decision_is_kept_and_withdrawing_one_undoes_its_cluster(three_reports, reviewer, case):
    first, second, _third = three_reports
    linkage.linkage_decide(first=second, second=first, verdict="same", actor=reviewer)
    assert counted_killed(case) == 2
    linkage.linkage_decide(first=first, second=second, verdict="withdrawn", actor=reviewer)

    assert Victim.objects.counted().count() == 3 and counted_killed(case) == 3
    assert list(LinkDecision.objects.order_by("id").values_list("first", "second", "verdict", "decided_by")) == [
        (first.pk, second.pk, "same", reviewer.pk),
        (first.pk, second.pk, "withdrawn", reviewer.pk),
    ]
    assert_figures_equal_their_records(case)


def test_a_victim_shows_how_many_sources_documented_the_person(three_reports, reviewer, client, case):
    first, second, third = three_reports
    linkage.linkage_decide(first=first, second=second, verdict="same", actor=reviewer)
    linkage.linkage_decide(first=first, second=third, verdict="same", actor=reviewer)
    client.force_login(reviewer)

    page = client.get(reverse("incidents:victim_detail", args=[case.reference, second.pk])).content.decode()
    assert "3 sources" in page and "Local council" in page


def test_the_candidate_search_finds_the_reports_and_says_why_and_running_it_twice_stores_them_once(
    three_reports, case, strike
):
    VictimFactory(incident=strike, name="Mohammad Abdullah al-Hassan", age=9, age_band="child")  # a boy
    assert linkage_find_candidates_task(case.pk) == linkage_find_candidates_task(case.pk)

    first, second, third = three_reports
    strong = LinkCandidate.objects.filter(case=case, score__gte=0.8)
    assert set(strong.values_list("first", "second")) == {
        (first.pk, second.pk),
        (first.pk, third.pk),
        (second.pk, third.pk),
    }
    reasons = LinkCandidate.objects.get(first=first, second=second).reasons
    assert ["name_parts", "3/3"] in reasons and ["age_close", "1"] in reasons


def test_the_command_runs_the_search(three_reports, case):
    out = io.StringIO()
    call_command("find_victim_links", case.reference, stdout=out)
    assert "3 candidate pairs stored" in out.getvalue()


# The review page ----------------------------------------------------------------------------------------------


@pytest.fixture
def candidates(three_reports, case):
    linkage.linkage_find_candidates(case_id=case.pk)
    return three_reports


def test_the_review_page_shows_pairs_strongest_first_side_by_side(client, reviewer, case, candidates):
    client.force_login(reviewer)
    response = client.get(reverse("incidents:linkage_review", args=[case.reference]))
    scores = [pair.score for pair in response.context["object_list"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    page = response.content.decode()
    assert "محمد عبد الله الحسن" in page and "Hospital list" in page and "Name parts found in both" in page


def test_the_review_page_in_arabic(client, reviewer, case, candidates):
    client.force_login(reviewer)
    response = client.get(reverse("incidents:linkage_review", args=[case.reference]), HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200 and 'dir="rtl"' in response.content.decode()


def test_a_reviewer_decides_on_the_page_and_the_pair_moves_to_decided(client, reviewer, case, candidates):
    first, second, _third = candidates
    client.force_login(reviewer)
    url = reverse("incidents:linkage_decide", args=[case.reference])
    response = client.post(url, {"first": first.pk, "second": second.pk, "verdict": "same"})

    assert response.status_code == 302
    assert Victim.objects.get(pk=second.pk).duplicate_of_id == first.pk
    review = reverse("incidents:linkage_review", args=[case.reference])
    assert len(client.get(review).context["object_list"]) == 2
    assert len(client.get(review, {"show": "decided"}).context["object_list"]) == 1


def test_a_conflicting_join_on_the_page_asks_to_confirm(client, reviewer, case, candidates):
    first, second, third = candidates
    linkage.linkage_decide(first=first, second=third, verdict="different", actor=reviewer)
    linkage.linkage_decide(first=first, second=second, verdict="same", actor=reviewer)
    client.force_login(reviewer)
    url = reverse("incidents:linkage_decide", args=[case.reference])

    response = client.post(url, {"first": second.pk, "second": third.pk, "verdict": "same"}, follow=True)
    assert "marked as different people" in response.content.decode() and 'name="confirm"' in response.content.decode()
    assert Victim.objects.get(pk=third.pk).duplicate_of_id is None
    client.post(url, {"first": second.pk, "second": third.pk, "verdict": "same", "confirm": "1"})
    assert Victim.objects.get(pk=third.pk).duplicate_of_id == first.pk


@pytest.mark.parametrize("person", ["intake_worker", "analyst"])
def test_only_reviewers_and_case_admins_decide(client, case, candidates, person, request):
    first, second, _third = candidates
    client.force_login(request.getfixturevalue(person))
    url = reverse("incidents:linkage_decide", args=[case.reference])
    assert client.post(url, {"first": first.pk, "second": second.pk, "verdict": "same"}).status_code == 403
    assert client.get(reverse("incidents:linkage_review", args=[case.reference])).status_code == 403
    assert LinkDecision.objects.count() == 0 and Victim.objects.counted().count() == 3


def test_a_case_admin_decides(client, case, candidates, case_admin):
    first, second, _third = candidates
    client.force_login(case_admin)
    url = reverse("incidents:linkage_decide", args=[case.reference])
    assert client.post(url, {"first": first.pk, "second": second.pk, "verdict": "different"}).status_code == 302
    assert LinkDecision.objects.get().verdict == "different"


def test_an_outsider_cannot_see_or_decide(client, case, candidates, outsider):
    first, second, _third = candidates
    client.force_login(outsider)
    url = reverse("incidents:linkage_decide", args=[case.reference])
    assert client.post(url, {"first": first.pk, "second": second.pk, "verdict": "same"}).status_code == 404
    assert client.get(reverse("incidents:linkage_review", args=[case.reference])).status_code == 404
    assert LinkDecision.objects.count() == 0


def test_a_bad_decision_is_refused_and_nothing_is_written(client, reviewer, case, candidates):
    first, _second, _third = candidates
    client.force_login(reviewer)
    url = reverse("incidents:linkage_decide", args=[case.reference])
    for data in (
        {"first": first.pk, "second": first.pk, "verdict": "same"},
        {"first": first.pk, "second": "x", "verdict": "same"},
        {"first": first.pk, "second": first.pk + 1, "verdict": "merge"},
    ):
        assert client.post(url, data).status_code == 302
    assert LinkDecision.objects.count() == 0 and Victim.objects.counted().count() == 3
    other_case_victim = VictimFactory(incident=IncidentFactory())
    response = client.post(url, {"first": first.pk, "second": other_case_victim.pk, "verdict": "same"})
    assert response.status_code == 404 and LinkDecision.objects.count() == 0
