"""The database refuses a notification or an assignment that names the wrong records, whatever writes it."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.notifications.models import Notification, ReviewAssignment
from tests.factories import MediaItemFactory, TestimonyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(case, intake_worker):
    testimony = TestimonyFactory(case=case, interviewer=intake_worker, created_by=intake_worker, status="submitted")
    return testimony, MediaItemFactory(case=case, acquired_by=intake_worker)


def refused_by(constraint: str, create) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        create()


def test_an_assignment_names_exactly_one_record(case, reviewer, records):
    testimony, item = records
    now = timezone.now()
    refused_by(
        "assignment_one_record",
        lambda: ReviewAssignment.objects.create(
            case=case, testimony=testimony, media_item=item, assignee=reviewer, assigned_at=now
        ),
    )
    refused_by(
        "assignment_one_record",
        lambda: ReviewAssignment.objects.create(case=case, assignee=reviewer, assigned_at=now),
    )


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("assigned", {}),
        ("assigned", {"testimony": 0, "media_item": 1}),
        ("testimony_rejected", {"media_item": 1}),
        ("packet_ready", {"testimony": 0}),
        ("processing_failed", {"testimony": 0}),
    ],
)
def test_a_notification_names_the_record_its_kind_is_about(case, reviewer, records, kind, names):
    values = {name: records[index] for name, index in names.items()}
    refused_by(
        "notification_names_its_record",
        lambda: Notification.objects.create(recipient=reviewer, case=case, kind=kind, **values),
    )


def test_a_notification_kind_is_one_of_the_listed(case, reviewer, records):
    refused_by(
        "notification_kind_valid",
        lambda: Notification.objects.create(recipient=reviewer, case=case, kind="bogus", testimony=records[0]),
    )
