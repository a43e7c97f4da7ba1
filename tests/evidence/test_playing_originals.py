"""Photos, video, audio and PDFs open in the page from one permission-checked view that answers HTTP range
requests (206, Content-Range, 416), keeps every original sandboxed and out of caches, and records a person's
view once, not once per part a player asks for."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse

from casework.audit.models import AuditEvent
from casework.evidence import services
from casework.evidence.models import CustodyEvent, MediaItem
from casework.evidence.ranges import ByteRange, RangeNotSatisfiable, requested_range
from casework.evidence.samples import jpeg_bytes, pdf_bytes, write_video
from casework.evidence.services import media_ingest_stream, media_process

pytestmark = pytest.mark.django_db

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=0-", ByteRange(0, 999)),
        ("bytes=990-", ByteRange(990, 999)),
        ("bytes=-10", ByteRange(990, 999)),
        ("bytes=-5000", ByteRange(0, 999)),  # a suffix longer than the file: all of it
        ("bytes=500-5000", ByteRange(500, 999)),  # an end past the file: up to its last byte
        ("bytes=999-999", ByteRange(999, 999)),
        ("bytes=0-99999999999999999999999", ByteRange(0, 999)),
        (" bytes = 10-19 ", ByteRange(10, 19)),
        ("BYTES=10-19", ByteRange(10, 19)),
        # Whole file: no header, a unit not understood (ignored, RFC 9110 §14.2), several ranges.
        (None, None),
        ("", None),
        ("items=0-5", None),
        ("bytes=0-5,10-20", None),
        ("bytes", None),
    ],
)
def test_a_range_header_is_read_as_rfc_9110_says(header, expected):
    assert requested_range(header, size=SIZE) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=1000-",  # starts at the end
        "bytes=1000-1005",
        "bytes=99999999999999999999999-",
        "bytes=5-2",  # ends before it starts
        "bytes=-0",  # no bytes at all
        "bytes=-",
        "bytes=abc",
        "bytes=5",
        "bytes=-5-10",
        "bytes=٠-٥",  # Arabic-Indic digits are digits to Python, not to HTTP
        "bytes=1²-",
        "bytes=0x10-",
    ],
)
def test_a_range_the_file_does_not_have_or_a_malformed_one_is_unsatisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        requested_range(header, size=SIZE)


def test_if_range_keeps_the_range_only_for_the_same_bytes():
    etag = '"' + "a" * 64 + '"'
    assert requested_range("bytes=0-9", size=SIZE, if_range=etag, etag=etag) == ByteRange(0, 9)
    assert requested_range("bytes=0-9", size=SIZE, if_range='"' + "b" * 64 + '"', etag=etag) is None
    assert requested_range("bytes=0-9", size=SIZE, if_range="W/" + etag, etag=etag) is None
    assert requested_range("bytes=0-9", size=SIZE, if_range="Sun, 01 Sep 2024 10:00:00 GMT", etag=etag) is None


def ingest(case, person, content: bytes, name: str) -> MediaItem:
    item = media_ingest_stream(
        stream=io.BytesIO(content), case=case, original_filename=name, source="witness", acquired_by=person
    ).item
    media_process(item_id=item.pk)
    return MediaItem.objects.get(pk=item.pk)


@pytest.fixture
def photo(case, intake_worker):
    return ingest(case, intake_worker, jpeg_bytes(seed=71), "market.jpg")


@pytest.fixture
def video(case, intake_worker, tmp_path):
    path = write_video(tmp_path / "strike.mp4", seconds=1.0, faststart=True)
    return ingest(case, intake_worker, path.read_bytes(), "strike.mp4")


def view(client, item, **headers):
    return client.get(reverse("evidence:media_view_original", args=[item.pk]), **headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_served_safely(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert response["Accept-Ranges"] == "bytes"


def test_the_whole_original_is_served_with_its_type_and_length(client, analyst, photo):
    client.force_login(analyst)
    response = view(client, photo)
    original = photo.original.open("rb").read()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Length"] == str(len(original))
    assert response["ETag"] == f'"{photo.sha256}"'
    assert response["Content-Disposition"] == 'inline; filename="CW-0042-000001.jpg"'
    assert response["X-Frame-Options"] == "DENY"
    assert_served_safely(response)
    assert body(response) == original


def test_a_video_is_served_in_the_parts_a_player_asks_for(client, analyst, video):
    client.force_login(analyst)
    original = video.original.open("rb").read()
    size = len(original)
    first = view(client, video, HTTP_RANGE="bytes=0-")
    assert first.status_code == 206
    assert first["Content-Type"] == "video/mp4"
    assert first["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert first["Content-Length"] == str(size)
    assert_served_safely(first)
    assert body(first) == original
    part = view(client, video, HTTP_RANGE="bytes=100-1123")
    assert (part.status_code, part["Content-Range"], part["Content-Length"]) == (
        206,
        f"bytes 100-1123/{size}",
        "1024",
    )
    assert body(part) == original[100:1124]
    tail = view(client, video, HTTP_RANGE="bytes=-200")
    assert tail["Content-Range"] == f"bytes {size - 200}-{size - 1}/{size}"
    assert body(tail) == original[-200:]
    changed = view(client, video, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"' + "0" * 64 + '"')
    assert changed.status_code == 200 and body(changed) == original


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=9-2", "bytes=abc"])
def test_a_range_the_file_does_not_have_is_answered_416_and_records_nothing(client, analyst, video, header):
    client.force_login(analyst)
    response = view(client, video, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{video.size_bytes}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert not CustodyEvent.objects.filter(action="viewed").exists()
    assert not AuditEvent.objects.filter(action="original_viewed").exists()


def test_a_playback_in_many_parts_is_one_recorded_view_per_person(client, analyst, reviewer, video):
    client.force_login(analyst)
    for header in ("bytes=0-", "bytes=5000-", "bytes=100-199", "bytes=0-"):
        assert view(client, video, HTTP_RANGE=header).status_code == 206
    assert view(client, video).status_code == 200  # the page opened again soon after
    views = CustodyEvent.objects.filter(action="viewed", object_id=str(video.pk))
    assert [event.actor for event in views] == [analyst]
    assert AuditEvent.objects.filter(action="original_viewed", actor=analyst).count() == 1
    client.force_login(reviewer)
    view(client, video, HTTP_RANGE="bytes=0-")
    assert [event.actor for event in views.all()] == [analyst, reviewer]


def test_parts_cannot_fetch_an_original_unrecorded(client, analyst, video):
    client.force_login(analyst)
    assert view(client, video, HTTP_RANGE="bytes=1-").status_code == 206
    event = AuditEvent.objects.get(action="original_viewed")
    assert (event.actor, event.object_id) == (analyst, str(video.pk))


def test_a_view_after_the_window_is_recorded_again(client, analyst, photo, monkeypatch):
    client.force_login(analyst)
    view(client, photo)
    monkeypatch.setattr(services, "ORIGINAL_VIEW_WINDOW", timedelta(0))
    view(client, photo)
    assert CustodyEvent.objects.filter(action="viewed", object_id=str(photo.pk)).count() == 2


def test_a_pdf_opens_in_a_frame_of_the_site_and_stays_sandboxed(client, analyst, case, intake_worker):
    document = ingest(case, intake_worker, pdf_bytes(seed=3), "report.pdf")
    assert document.kind == "document" and document.processing_state == "done"
    client.force_login(analyst)
    response = view(client, document)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    page = client.get(reverse("evidence:media_detail", args=[document.pk])).content.decode()
    assert f'<iframe src="{reverse("evidence:media_view_original", args=[document.pk])}"' in page


@pytest.mark.parametrize("state", ["pending", "failed", "quarantined"])
def test_an_original_not_processed_safely_is_never_handed_to_the_browser(client, analyst, photo, state):
    MediaItem.objects.filter(pk=photo.pk).update(processing_state=state)
    client.force_login(analyst)
    assert view(client, photo).status_code == 404
    assert not AuditEvent.objects.filter(action="original_viewed").exists()


def test_a_type_browsers_do_not_show_is_downloaded_instead(client, analyst, photo):
    MediaItem.objects.filter(pk=photo.pk).update(mime_type="image/tiff")
    client.force_login(analyst)
    assert view(client, photo).status_code == 404


def test_an_outsider_gets_nothing_and_nothing_is_recorded(client, outsider, video):
    client.force_login(outsider)
    assert view(client, video, HTTP_RANGE="bytes=0-").status_code == 404
    assert not CustodyEvent.objects.filter(action="viewed").exists()


def test_a_download_is_named_by_the_exhibit_number(client, analyst, photo):
    client.force_login(analyst)
    response = client.get(reverse("evidence:media_original", args=[photo.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="CW-0042-000001.jpg"'
