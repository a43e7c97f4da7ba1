"""Re-checking captured sources: still online, changed, gone (with the status), history kept, a gone list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.captures.models import Capture, CaptureState, SourceStatus
from casework.captures.selectors import captures_due_for_check
from casework.captures.services import capture_recheck, capture_request, capture_run

pytestmark = pytest.mark.django_db


def _captured(case, actor, url) -> Capture:
    [capture] = capture_request(case=case, urls=url, actor=actor)
    capture_run(capture_id=capture.pk)
    capture.refresh_from_db()
    assert capture.state == CaptureState.DONE, capture.failure_detail
    return capture


def test_a_page_still_the_same_is_still_online(case, intake_worker, web):
    capture = _captured(case, intake_worker, f"{web.base}/page")
    check = capture_recheck(capture_id=capture.pk)
    capture.refresh_from_db()
    assert check.outcome == SourceStatus.ONLINE and check.http_status == 200
    assert capture.source_status == SourceStatus.ONLINE and capture.last_checked_at == check.checked_at


def test_a_page_that_changed_after_the_capture_is_marked_changed(case, intake_worker, web):
    capture = _captured(case, intake_worker, f"{web.base}/page")
    web.page_text = "Edited: the post now says something else."
    assert capture_recheck(capture_id=capture.pk).outcome == SourceStatus.CHANGED


def test_a_file_is_rechecked_by_its_headers_without_downloading_it_again(case, intake_worker, web):
    capture = _captured(case, intake_worker, f"{web.base}/video.mp4")
    assert capture_recheck(capture_id=capture.pk).outcome == SourceStatus.ONLINE


def test_a_source_that_vanished_is_gone_with_its_status_and_listed(client, case, intake_worker, web):
    capture = _captured(case, intake_worker, f"{web.base}/page")
    Capture.objects.filter(pk=capture.pk).update(url=f"{web.base}/missing")  # the post was taken down
    first = capture_recheck(capture_id=capture.pk)
    second = capture_recheck(capture_id=capture.pk)
    capture.refresh_from_db()
    assert (first.outcome, first.http_status) == (SourceStatus.GONE, 404)
    assert capture.source_status == SourceStatus.GONE and capture.gone_since == first.checked_at
    assert list(capture.checks.all()) == [second, first]

    client.force_login(intake_worker)
    gone = client.get(reverse("captures:capture_gone", args=[case.reference])).content.decode()
    assert f"{web.base}/missing" in gone
    detail = client.get(reverse("captures:capture_detail", args=[case.reference, capture.pk])).content.decode()
    assert "Gone" in detail and "HTTP 404" in detail


def test_an_unreachable_source_is_gone_with_the_reason(case, intake_worker, web, settings):
    capture = _captured(case, intake_worker, f"{web.base}/page")
    settings.CASEWORK_CAPTURE_ALLOW_LOOPBACK = False
    check = capture_recheck(capture_id=capture.pk)
    assert check.outcome == SourceStatus.GONE and check.detail == "Refused address"


def test_only_captures_not_checked_recently_are_due(case, intake_worker, settings):
    settings.CASEWORK_CAPTURE_WATCH_HOURS = 24
    now = timezone.now()
    old = Capture.objects.create(
        case=case,
        url="https://example.org/a",
        requested_by=intake_worker,
        state="done",
        captured_at=now - timedelta(days=2),
    )
    checked = Capture.objects.create(
        case=case, url="https://example.org/b", requested_by=intake_worker, state="done",
        captured_at=now - timedelta(days=2), last_checked_at=now - timedelta(hours=1),
    )  # fmt: skip
    Capture.objects.create(case=case, url="https://example.org/c", requested_by=intake_worker, state="queued")
    assert captures_due_for_check(now=now) == [old.pk]
    assert checked.pk not in captures_due_for_check(now=now + timedelta(hours=2))
    assert checked.pk in captures_due_for_check(now=now + timedelta(hours=24))


def test_the_sweep_sends_again_the_captures_no_worker_is_on(case, intake_worker, settings, monkeypatch):
    from casework.captures import tasks
    from casework.captures.selectors import captures_stalled

    settings.CASEWORK_CAPTURE_SECONDS = 600  # a claim lasts 12 minutes
    now = timezone.now()

    def capture(url, **fields):
        return Capture.objects.create(case=case, url=f"https://example.org/{url}", requested_by=intake_worker, **fields)

    queued = capture("queued", state="queued")
    dead_worker = capture("dead", state="running", started_at=now - timedelta(minutes=13))
    capture("running", state="running", started_at=now)
    capture("done", state="done", captured_at=now - timedelta(days=1))
    assert captures_stalled(now=now) == [dead_worker.pk]
    # Six minutes on, the queued one's message counts as lost; the running one is still within its claim.
    assert sorted(captures_stalled(now=now + timedelta(minutes=6))) == sorted([queued.pk, dead_worker.pk])

    sent = []
    monkeypatch.setattr(tasks, "enqueue_now", lambda task, capture_id: sent.append((task, capture_id)) or True)
    assert tasks.captures_sweep_task() == 1
    assert sent == [(tasks.capture_run_task, dead_worker.pk)]
