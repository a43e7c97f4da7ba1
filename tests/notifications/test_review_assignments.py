"""Work that finds people: records waiting for review are assigned to a reviewer of their case, on the review
queue and through the API; the queue shows mine / unassigned / everyone's; only people who may review in the
case can be assigned, never to review their own work; and someone who leaves the team or stops reviewing is
taken off their assignments."""

import pytest
from django.urls import reverse

from casework.cases import services as team
from casework.notifications.models import Notification, ReviewAssignment
from casework.notifications.selectors import work_counts
from casework.notifications.services import review_assign
from casework.witnesses import services as witness_services
from tests.factories import MediaItemFactory, MembershipFactory, TestimonyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(case, intake_worker):
    """A testimony submitted for review and a media item not yet reviewed, both by the intake worker."""
    testimony = TestimonyFactory(
        case=case, interviewer=intake_worker, created_by=intake_worker, status="submitted", witness__pseudonym="W-314"
    )
    item = MediaItemFactory(case=case, acquired_by=intake_worker)
    return testimony, item


@pytest.fixture
def second_reviewer(case):
    person = UserFactory(username="second_reviewer")
    MembershipFactory(case=case, user=person, role="reviewer")
    return person


def assigned(record) -> str | None:
    assignment = ReviewAssignment.objects.filter(
        **{record._meta.model_name.replace("mediaitem", "media_item"): record}
    ).first()
    return assignment.assignee.username if assignment else None


def queue(client, case, show="all") -> str:
    return client.get(reverse("web:review_queue", args=[case.reference]) + f"?show={show}").content.decode()


def assign(client, case, record, assignee) -> object:
    field = "testimony" if record._meta.model_name == "testimony" else "media_item"
    data = {field: record.pk, "assignee": assignee.pk if assignee else ""}
    return client.post(reverse("web:review_assign", args=[case.reference]), data, follow=True)


# The review queue page ------------------------------------------------------------------------------------------


def test_reviewer_assigns_to_themselves_and_the_queue_shows_mine_unassigned_everyones(client, case, reviewer, waiting):
    testimony, item = waiting
    client.force_login(reviewer)
    assert "W-314" in queue(client, case, "unassigned") and "W-314" not in queue(client, case, "mine")
    response = assign(client, case, testimony, reviewer)
    assert "Assigned to reviewer." in response.content.decode()
    assert assigned(testimony) == "reviewer"
    mine, unassigned, everyone = queue(client, case, "mine"), queue(client, case, "unassigned"), queue(client, case)
    assert "W-314" in mine and "W-314" not in unassigned and "W-314" in everyone
    assert f'id="media-{item.pk}"' in unassigned and f'id="media-{item.pk}"' not in mine
    # Assigning oneself tells nobody anything.
    assert not Notification.objects.exists()


def test_assigning_someone_else_notifies_them_and_shows_in_their_counts(
    client, case, reviewer, second_reviewer, waiting
):
    testimony, item = waiting
    client.force_login(reviewer)
    assign(client, case, testimony, second_reviewer)
    assign(client, case, item, second_reviewer)
    assert (assigned(testimony), assigned(item)) == ("second_reviewer", "second_reviewer")
    notes = Notification.objects.filter(recipient=second_reviewer).order_by("id")
    assert [(note.kind, note.actor, note.testimony, note.media_item) for note in notes] == [
        ("assigned", reviewer, testimony, None),
        ("assigned", reviewer, None, item),
    ]
    assert work_counts(second_reviewer, case) == {"unread": 2, "waiting": 2, "waiting_here": 2}
    client.force_login(second_reviewer)
    page = queue(client, case, "mine")
    assert 'id="unread-count">2<' in page and 'id="review-count">2<' in page and 'id="case-review-count"' in page
    mine = client.get(reverse("web:my_review_queue")).content.decode()
    assert "W-314" in mine and item.exhibit_number in mine


def test_a_review_decision_takes_the_record_out_of_the_counts(case, reviewer, waiting):
    testimony, _item = waiting
    review_assign(record=testimony, assignee=reviewer, actor=reviewer)
    assert work_counts(reviewer)["waiting"] == 1
    witness_services.testimony_review(
        testimony=testimony, reviewer=reviewer, verified=True, reason="", expected_version=1
    )
    assert work_counts(reviewer)["waiting"] == 0


def test_unassigning_leaves_the_record_unassigned(client, case, reviewer, second_reviewer, waiting):
    testimony, _item = waiting
    client.force_login(reviewer)
    assign(client, case, testimony, second_reviewer)
    response = assign(client, case, testimony, None)
    assert "Unassigned." in response.content.decode()
    assert assigned(testimony) is None


@pytest.mark.parametrize("assignee", ["analyst", "intake_worker", "outsider"])
def test_only_people_who_may_review_in_the_case_can_be_assigned(client, request, case, reviewer, waiting, assignee):
    testimony, item = waiting
    person = request.getfixturevalue(assignee)
    client.force_login(reviewer)
    for record in (testimony, item):
        response = assign(client, case, record, person)
        assert "Only someone who may review in this case can be assigned." in response.content.decode()
        assert assigned(record) is None
    assert not Notification.objects.exists()


def test_the_author_of_a_record_is_never_assigned_to_review_it(client, case, case_admin, reviewer):
    testimony = TestimonyFactory(case=case, interviewer=case_admin, created_by=case_admin, status="submitted")
    item = MediaItemFactory(case=case, acquired_by=case_admin)
    client.force_login(reviewer)
    for record in (testimony, item):
        response = assign(client, case, record, case_admin)
        assert "case_admin recorded or added this, so someone else must review it." in response.content.decode()
        assert assigned(record) is None


def test_only_records_waiting_for_review_are_assigned(client, case, reviewer, intake_worker):
    draft = TestimonyFactory(case=case, interviewer=intake_worker, created_by=intake_worker, status="draft")
    reviewed = MediaItemFactory(
        case=case, acquired_by=intake_worker, verification_status="verified", verified_by=reviewer
    )
    client.force_login(reviewer)
    assert "Only a testimony submitted for review" in assign(client, case, draft, reviewer).content.decode()
    assert "Only a media item waiting for review" in assign(client, case, reviewed, reviewer).content.decode()
    assert not ReviewAssignment.objects.exists()


@pytest.mark.parametrize("persona", ["intake_worker", "analyst"])
def test_people_who_do_not_review_cannot_assign(client, request, case, reviewer, waiting, persona):
    testimony, _item = waiting
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("web:review_assign", args=[case.reference]), {"testimony": testimony.pk, "assignee": reviewer.pk}
    )
    assert response.status_code == 403
    assert b"Assign to me" not in client.get(reverse("web:review_queue", args=[case.reference])).content
    assert not ReviewAssignment.objects.exists()


def test_outsiders_cannot_assign_or_see_the_queue(client, case, reviewer, outsider, waiting):
    testimony, _item = waiting
    client.force_login(outsider)
    response = client.post(
        reverse("web:review_assign", args=[case.reference]), {"testimony": testimony.pk, "assignee": outsider.pk}
    )
    assert response.status_code == 404
    assert client.get(reverse("web:review_queue", args=[case.reference])).status_code == 404
    assert not ReviewAssignment.objects.exists()


def test_a_record_of_another_case_is_not_found(client, case, other_case, reviewer, outsider):
    elsewhere = TestimonyFactory(case=other_case, interviewer=outsider, created_by=outsider, status="submitted")
    client.force_login(reviewer)
    response = client.post(
        reverse("web:review_assign", args=[case.reference]), {"testimony": elsewhere.pk, "assignee": reviewer.pk}
    )
    assert response.status_code == 404


# Team changes release assignments ----------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["removed", "now an analyst"])
def test_someone_who_stops_reviewing_is_taken_off_their_assignments(case, case_admin, reviewer, waiting, change):
    testimony, item = waiting
    review_assign(record=testimony, assignee=reviewer, actor=case_admin)
    review_assign(record=item, assignee=case_admin, actor=case_admin)
    if change == "removed":
        team.membership_remove(case=case, user=reviewer, actor=case_admin)
    else:
        team.membership_change_role(case=case, user=reviewer, role="analyst", actor=case_admin)
    assert assigned(testimony) is None
    assert assigned(item) == "case_admin"  # others' assignments stay
    assert work_counts(reviewer)["waiting"] == 0


# The API ------------------------------------------------------------------------------------------------------


def assign_url(case, record) -> str:
    if record._meta.model_name == "testimony":
        return reverse("api:testimony_assign", args=[case.reference, record.pk])
    return reverse("api:media_assign", args=[case.reference, record.pk])


def test_api_assigns_and_unassigns_by_username(api, case, reviewer, second_reviewer, waiting):
    api.force_authenticate(reviewer)
    for record in waiting:
        response = api.post(assign_url(case, record), {"assignee": "second_reviewer"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["assignee"] == "second_reviewer" and response.json()["assigned_by"] == "reviewer"
        assert assigned(record) == "second_reviewer"
        assert api.post(assign_url(case, record), {"assignee": None}, format="json").json()["assignee"] is None
        assert assigned(record) is None
    assert Notification.objects.filter(recipient=second_reviewer, kind="assigned").count() == 2


@pytest.mark.parametrize(
    ("assignee", "message"),
    [
        ("nobody_by_that_name", "No account has this username."),
        ("analyst", "Only someone who may review in this case can be assigned."),
        ("outsider", "Only someone who may review in this case can be assigned."),
    ],
)
def test_api_assignment_refusals_name_the_field_and_write_nothing(
    api, case, reviewer, analyst, outsider, waiting, assignee, message
):
    api.force_authenticate(reviewer)
    for record in waiting:
        response = api.post(assign_url(case, record), {"assignee": assignee}, format="json")
        assert response.status_code == 400
        assert any(message in text for text in response.json()["assignee"]), response.json()
    assert not ReviewAssignment.objects.exists() and not Notification.objects.exists()


def test_api_never_assigns_the_author(api, case, case_admin, reviewer):
    records = [
        TestimonyFactory(case=case, interviewer=case_admin, created_by=case_admin, status="submitted"),
        MediaItemFactory(case=case, acquired_by=case_admin),
    ]
    api.force_authenticate(reviewer)
    for record in records:
        response = api.post(assign_url(case, record), {"assignee": "case_admin"}, format="json")
        assert response.status_code == 400
        assert "case_admin recorded or added this" in response.json()["assignee"][0]
    assert not ReviewAssignment.objects.exists()


def test_api_assignment_needs_the_review_permission_and_the_case(api, case, intake_worker, reviewer, outsider, waiting):
    for person, status in ((intake_worker, 403), (outsider, 404)):
        api.force_authenticate(person)
        for record in waiting:
            assert api.post(assign_url(case, record), {"assignee": "reviewer"}, format="json").status_code == status
    assert not ReviewAssignment.objects.exists()
