"""In-app notifications (rows, never email): "assigned to you", "your testimony was rejected" with the reason,
"packet ready", "processing failed"; read and unread on a page and through the API; counted in the navigation;
never a witness's identity, a server path or an original file name; gone from view when the person leaves the
case."""

import io

import pytest
from django.conf import settings
from django.urls import reverse

from casework.bundles.services import bundle_build, bundle_request
from casework.cases import services as team
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process, media_record_processing_failure
from casework.notifications.models import Notification
from casework.notifications.selectors import work_counts
from casework.notifications.services import review_assign
from casework.witnesses import crypto
from casework.witnesses import services as witness_services
from tests.factories import TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db

CANARY_NAME = "Canary Notify-Name 5e1f"
CANARY_FILE = "Canary-Sender-Name-5e1f.jpg"
SERVER_PATH = "/srv/casework-canary/originals"


@pytest.fixture
def submitted(case, intake_worker):
    witness = WitnessFactory(case=case, pseudonym="W-808", real_name=CANARY_NAME, phone="+963 944 000 111")
    return TestimonyFactory(
        case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker, status="submitted"
    )


def reject(testimony, reviewer, reason="The dates do not match the strike.") -> None:
    witness_services.testimony_review(
        testimony=testimony, reviewer=reviewer, verified=False, reason=reason, expected_version=testimony.version
    )


def broken_upload(case, person):
    """A truncated photo sent with an identifying file name, whose processing fails."""
    item = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=808)[:2000]),
        case=case,
        original_filename=CANARY_FILE,
        source="activist_message",
        acquired_by=person,
    ).item
    media_process(item_id=item.pk)
    item.refresh_from_db()
    return item


# Each kind, from the service where it happens -------------------------------------------------------------------


def test_rejecting_a_testimony_tells_its_author_why(client, case, intake_worker, reviewer, submitted):
    reject(submitted, reviewer)
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.actor, note.testimony, note.reason) == (
        intake_worker,
        "testimony_rejected",
        reviewer,
        submitted,
        "The dates do not match the strike.",
    )
    client.force_login(intake_worker)
    page = client.get(reverse("notifications:notification_list")).content.decode()
    assert "reviewer rejected the testimony of W-808." in page
    assert "The dates do not match the strike." in page
    assert reverse("witnesses:testimony_detail", args=[case.reference, submitted.pk]) in page


def test_verifying_tells_nobody(case, reviewer, submitted):
    witness_services.testimony_review(
        testimony=submitted, reviewer=reviewer, verified=True, reason="", expected_version=1
    )
    assert not Notification.objects.exists()


def test_a_refused_rejection_notifies_nobody(case, intake_worker, submitted):
    with pytest.raises(Exception):  # noqa: B017 - the two-person rule's Refused
        reject(submitted, intake_worker)
    assert not Notification.objects.exists()


def test_a_ready_packet_tells_who_asked_for_it(client, case, analyst):
    bundle = bundle_request(
        case=case, scope="case", incidents=[], recipient="UN IIIM", profile="court", purpose="", actor=analyst
    )
    bundle_build(bundle_id=bundle.pk)
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.bundle) == (analyst, "packet_ready", bundle)
    client.force_login(analyst)
    page = client.get(reverse("notifications:notification_list")).content.decode()
    assert f"Evidence packet {bundle.pk} is ready to download." in page
    assert reverse("bundles:bundle_list", args=[case.reference]) in page


def test_failed_processing_tells_the_uploader_once(client, case, intake_worker):
    item = broken_upload(case, intake_worker)
    assert item.processing_state in ("failed", "quarantined")
    media_record_processing_failure(item=item, reason="again", quarantine=False)  # a second report while unread
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.media_item) == (intake_worker, "processing_failed", item)
    client.force_login(intake_worker)
    page = client.get(reverse("notifications:notification_list")).content.decode()
    assert f"Processing of {item.exhibit_number} (Photo) did not finish" in page
    assert reverse("evidence:media_detail", args=[item.pk]) in page


# Reading them --------------------------------------------------------------------------------------------------


def test_notifications_page_marks_one_or_all_read(client, case, intake_worker, reviewer, submitted):
    reject(submitted, reviewer)
    item = broken_upload(case, intake_worker)
    first, second = Notification.objects.order_by("id")
    client.force_login(intake_worker)
    home = client.get(reverse("web:home")).content.decode()
    assert 'id="unread-count">2<' in home
    client.post(reverse("notifications:notification_read", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at is not None
    unread_page = client.get(reverse("notifications:notification_list") + "?show=unread").content.decode()
    assert f'id="notification-{second.pk}"' in unread_page and f'id="notification-{first.pk}"' not in unread_page
    assert 'id="unread-count">1<' in unread_page
    client.post(reverse("notifications:notifications_read_all"))
    assert not Notification.objects.unread().exists()
    everything = client.get(reverse("notifications:notification_list")).content.decode()
    assert f'id="notification-{first.pk}"' in everything and item.exhibit_number in everything
    assert 'id="unread-count"' not in everything


def test_nobody_marks_or_reads_anothers_notifications(client, api, case, intake_worker, reviewer, submitted):
    reject(submitted, reviewer)
    note = Notification.objects.get()
    client.force_login(reviewer)
    client.post(reverse("notifications:notification_read", args=[note.pk]))
    client.post(reverse("notifications:notifications_read_all"))
    assert "W-808" not in client.get(reverse("notifications:notification_list")).content.decode()
    api.force_authenticate(reviewer)
    assert api.post(reverse("api:notification_read", args=[note.pk])).status_code == 404
    assert api.get(reverse("api:notification_list")).json()["results"] == []
    note.refresh_from_db()
    assert note.read_at is None


def test_leaving_the_case_takes_its_notifications_out_of_view(client, api, case, case_admin, reviewer, submitted):
    review_assign(record=submitted, assignee=reviewer, actor=case_admin)
    assert work_counts(reviewer) == {"unread": 1, "waiting": 1}
    team.membership_remove(case=case, user=reviewer, actor=case_admin)
    assert work_counts(reviewer) == {"unread": 0, "waiting": 0}
    client.force_login(reviewer)
    assert "W-808" not in client.get(reverse("notifications:notification_list")).content.decode()
    api.force_authenticate(reviewer)
    assert api.get(reverse("api:notification_list")).json()["results"] == []


def test_api_lists_and_marks_notifications_read(api, case, intake_worker, reviewer, submitted):
    reject(submitted, reviewer)
    broken_upload(case, intake_worker)
    api.force_authenticate(intake_worker)
    listed = api.get(reverse("api:notification_list")).json()
    assert [row["kind"] for row in listed["results"]] == ["processing_failed", "testimony_rejected"]
    rejected = listed["results"][1]
    assert rejected["case"] == "CW-0042" and rejected["testimony"] == submitted.pk
    assert rejected["message"] == "reviewer rejected the testimony of W-808."
    assert rejected["reason"] == "The dates do not match the strike." and rejected["read_at"] is None
    answer = api.post(reverse("api:notification_read", args=[rejected["id"]]))
    assert answer.status_code == 200 and answer.json() == {"marked_read": 1}
    unread = api.get(reverse("api:notification_list") + "?unread=true").json()["results"]
    assert [row["kind"] for row in unread] == ["processing_failed"]
    assert api.post(reverse("api:notifications_read_all")).json() == {"marked_read": 1}
    assert api.get(reverse("api:notification_list") + "?unread=true").json()["results"] == []
    api.force_authenticate(None)
    assert api.get(reverse("api:notification_list")).status_code in (401, 403)


def test_notifications_are_in_arabic(client, case, intake_worker, reviewer, submitted):
    reject(submitted, reviewer)
    client.force_login(intake_worker)
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("notifications:notification_list")).content.decode()
    assert 'dir="rtl"' in page and "W-808" in page
    assert "rejected the testimony" not in page


# What they never carry --------------------------------------------------------------------------------------------


def test_notifications_never_carry_an_identity_a_file_name_or_a_server_path(
    client, api, case, intake_worker, reviewer, case_admin, submitted, monkeypatch
):
    review_assign(record=submitted, assignee=reviewer, actor=case_admin)
    reject(submitted, reviewer)
    item = broken_upload(case, intake_worker)
    media_record_processing_failure(item=item, reason=f"cannot read {SERVER_PATH}/{CANARY_FILE}", quarantine=True)
    bundle = bundle_request(
        case=case, scope="case", incidents=[], recipient="UN", profile="internal", purpose="", actor=case_admin
    )
    bundle_build(bundle_id=bundle.pk)
    review_assign(record=item, assignee=reviewer, actor=case_admin)
    assert set(Notification.objects.values_list("kind", flat=True)) == {
        "assigned",
        "testimony_rejected",
        "packet_ready",
        "processing_failed",
    }
    secrets = [CANARY_NAME, "+963 944 000 111", CANARY_FILE, SERVER_PATH, str(settings.MEDIA_ROOT)]
    stored = "\n".join(str(value) for row in Notification.objects.values_list() for value in row)
    assert not [secret for secret in secrets if secret in stored]
    decrypted = []
    original = crypto.decrypt_text
    monkeypatch.setattr(crypto, "decrypt_text", lambda token: decrypted.append(original(token)) or decrypted[-1])
    for person in (intake_worker, reviewer, case_admin):
        client.force_login(person)
        api.force_authenticate(person)
        shown = [
            client.get(reverse("notifications:notification_list")).content.decode(),
            client.get(reverse("web:my_review_queue")).content.decode(),
            api.get(reverse("api:notification_list")).content.decode(),
        ]
        for text in shown:
            assert not [secret for secret in secrets if secret in text], person
    assert decrypted == [], "a notification page decrypted an identity or a file name"
