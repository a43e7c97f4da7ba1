"""Captures through the pages, the API and a real worker process."""

import pytest
from django.db import transaction
from django.urls import reverse

from casework.captures.models import Capture, CaptureState
from casework.captures.services import capture_run
from casework.evidence.models import MediaItem, ProcessingState
from tests.conftest import wait_for
from tests.factories import CaseFactory, IncidentFactory, MembershipFactory, UserFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_captures_a_page_and_the_same_video_once(celery_worker_process, web):
    case = CaseFactory(reference="CW-0042")
    person = UserFactory(username="c_intake")
    MembershipFactory(case=case, user=person, role="intake")
    from casework.captures.services import capture_request

    with transaction.atomic():
        captures = capture_request(case=case, actor=person, urls=f"{web.base}/page\n{web.base}/video.mp4")
    done = wait_for(
        lambda: all(c.is_finished for c in Capture.objects.filter(case=case)) and list(Capture.objects.order_by("id")),
        timeout=120,
        what="the worker to capture both addresses",
    )
    assert [c.state for c in done] == [CaptureState.DONE, CaptureState.DONE], [c.failure_detail for c in done]
    assert done[0].media_item_id == done[1].media_item_id
    assert MediaItem.objects.filter(case=case).count() == 1
    assert len(captures) == 2
    processed = wait_for(
        lambda: MediaItem.objects.filter(case=case, processing_state=ProcessingState.DONE).first(),
        timeout=90,
        what="the captured video to go through the metadata pipeline",
    )
    assert processed.kind == "video" and processed.duration_seconds


@pytest.mark.django_db
class CapturePageTests:
    def test_pasting_addresses_queues_a_capture_each(self, client, case, intake_worker):
        incident = IncidentFactory(case=case)
        client.force_login(intake_worker)
        response = client.post(
            reverse("captures:capture_list", args=[case.reference]),
            {
                "urls": "https://example.org/a\n https://example.org/b https://example.org/a",
                "incidents": [incident.pk],
                "note": "X",
            },
            follow=True,
        )
        assert "2 addresses queued for capture" in response.content.decode()
        captures = list(Capture.objects.order_by("id"))
        assert [c.url for c in captures] == ["https://example.org/a", "https://example.org/b"]
        assert all(list(c.incidents.all()) == [incident] and c.note == "X" for c in captures)

    def test_a_bad_address_is_refused_and_the_form_keeps_what_was_typed(self, client, case, intake_worker):
        client.force_login(intake_worker)
        typed = "https://example.org/a\nfile:///etc/passwd"
        response = client.post(reverse("captures:capture_list", args=[case.reference]), {"urls": typed})
        page = response.content.decode()
        assert response.status_code == 400
        assert "Not an http or https address: file:///etc/passwd" in page
        assert "https://example.org/a" in page
        assert not Capture.objects.exists()

    def test_an_analyst_reads_captures_but_cannot_capture(self, client, case, analyst):
        client.force_login(analyst)
        url = reverse("captures:capture_list", args=[case.reference])
        assert "capture-form" not in client.get(url).content.decode()
        assert client.post(url, {"urls": "https://example.org/a"}).status_code == 403
        assert not Capture.objects.exists()

    def test_an_outsider_does_not_learn_the_captures_exist(self, client, case, outsider, intake_worker):
        capture = Capture.objects.create(case=case, url="https://example.org/a", requested_by=intake_worker)
        client.force_login(outsider)
        for url in (
            reverse("captures:capture_list", args=[case.reference]),
            reverse("captures:capture_detail", args=[case.reference, capture.pk]),
            reverse("captures:capture_gone", args=[case.reference]),
        ):
            assert client.get(url).status_code == 404

    def test_a_capture_page_shows_where_what_and_the_screenshot(
        self, client, case, intake_worker, web, loopback_allowed
    ):
        capture = Capture.objects.create(case=case, url=f"{web.base}/page", requested_by=intake_worker)
        capture_run(capture_id=capture.pk)
        client.force_login(intake_worker)
        page = client.get(reverse("captures:capture_detail", args=[case.reference, capture.pk])).content.decode()
        assert f"{web.base}/page" in page and "127.0.0.1" in page and "yt-dlp" in page
        assert 'id="capture-screenshot"' in page
        screenshot = client.get(reverse("captures:capture_artefact", args=[case.reference, capture.pk, "screenshot"]))
        assert screenshot["Content-Type"] == "image/png"
        assert b"".join(screenshot.streaming_content)[:4] == b"\x89PNG"

    def test_downloading_a_capture_file_is_a_custody_event_naming_the_person_and_the_hash(
        self, client, case, intake_worker, web, loopback_allowed
    ):
        from casework.evidence.models import CustodyEvent

        capture = Capture.objects.create(case=case, url=f"{web.base}/page", requested_by=intake_worker)
        capture_run(capture_id=capture.pk)
        screenshot = capture.artefacts.get(kind="screenshot")
        client.force_login(intake_worker)
        client.get(reverse("captures:capture_artefact", args=[case.reference, capture.pk, "screenshot"]))
        event = CustodyEvent.objects.get(object_type="captures.capture", object_id=str(capture.pk), action="downloaded")
        assert event.actor == intake_worker
        assert event.details == {"artefact": "screenshot", "sha256": screenshot.sha256}


@pytest.mark.django_db
class CaptureApiTests:
    def test_posting_addresses_queues_captures(self, api, case, intake_worker):
        incident = IncidentFactory(case=case)
        api.force_authenticate(intake_worker)
        response = api.post(
            f"/api/cases/{case.reference}/captures/",
            {
                "urls": ["https://example.org/a", "https://example.org/b"],
                "incidents": [incident.reference],
                "note": "n",
            },
            format="json",
        )
        assert response.status_code == 201
        assert [c["url"] for c in response.json()] == ["https://example.org/a", "https://example.org/b"]
        assert response.json()[0]["state"] == "queued" and response.json()[0]["incidents"] == [incident.reference]
        listed = api.get(f"/api/cases/{case.reference}/captures/").json()
        assert {c["url"] for c in listed["results"]} == {"https://example.org/a", "https://example.org/b"}

    def test_bad_input_is_refused_and_nothing_stored(self, api, case, intake_worker, other_case):
        foreign = IncidentFactory(case=other_case)
        api.force_authenticate(intake_worker)
        url = f"/api/cases/{case.reference}/captures/"
        assert api.post(url, {"urls": ["ftp://example.org/a"]}, format="json").status_code == 400
        assert api.post(url, {"urls": []}, format="json").status_code == 400
        refused = api.post(url, {"urls": ["https://example.org/a"], "incidents": [foreign.reference]}, format="json")
        assert refused.status_code == 400
        assert not Capture.objects.exists()

    def test_a_reviewer_cannot_capture_and_an_outsider_sees_nothing(self, api, case, reviewer, outsider):
        api.force_authenticate(reviewer)
        url = f"/api/cases/{case.reference}/captures/"
        assert api.post(url, {"urls": ["https://example.org/a"]}, format="json").status_code == 403
        api.force_authenticate(outsider)
        assert api.get(url).status_code == 404
        assert not Capture.objects.exists()
