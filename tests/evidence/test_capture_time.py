"""A capture time whose zone the file does not give is shown as the device's clock time with "time zone
unknown", on every page, in the API and in the packet report; never as if it were UTC."""

import io
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.test import APIClient

from casework.bundles.services import bundle_build, bundle_request
from casework.evidence.models import CustodyEvent, MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

CLOCK = datetime(2020, 1, 2, 3, 4, 5)


def processed_photo(case, user, *, seed: int, utc_offset: str | None, incidents=()) -> MediaItem:
    item = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=seed, capture_time=CLOCK, utc_offset=utc_offset)),
        case=case,
        original_filename="photo.jpg",
        source="activist_message",
        acquired_by=user,
        incidents=incidents,
    ).item
    media_process(item_id=item.pk)
    return MediaItem.objects.get(pk=item.pk)


def test_exif_time_without_offset_is_stored_as_clock_time_with_zone_unknown(case, intake_worker):
    unknown = processed_photo(case, intake_worker, seed=500, utc_offset=None)
    known = processed_photo(case, intake_worker, seed=501, utc_offset="+03:00")
    assert (unknown.capture_time, unknown.capture_time_zone_known) == (CLOCK.replace(tzinfo=UTC), False)
    assert unknown.capture_wall_clock == CLOCK
    assert (known.capture_time, known.capture_time_zone_known) == (datetime(2020, 1, 2, 0, 4, 5, tzinfo=UTC), True)
    extracted = CustodyEvent.objects.get(object_id=str(unknown.pk), action="metadata_extracted").details
    assert (extracted["capture_time"], extracted["capture_time_zone_known"]) == ("2020-01-02T03:04:05", False)


def test_pages_say_time_zone_unknown_instead_of_pretending_utc(client, case, intake_worker, analyst):
    unknown = processed_photo(case, intake_worker, seed=502, utc_offset=None)
    known = processed_photo(case, intake_worker, seed=503, utc_offset="+03:00")
    client.force_login(analyst)
    listing = client.get(reverse("evidence:media_list", args=[case.reference])).content.decode()
    assert listing.count("time zone unknown") == 1
    detail = client.get(reverse("evidence:media_detail", args=[unknown.pk])).content.decode()
    assert "time zone unknown" in detail and "3:04" in detail
    assert "time zone unknown" not in client.get(reverse("evidence:media_detail", args=[known.pk])).content.decode()


def test_api_gives_the_clock_time_without_an_offset_and_says_the_zone_is_unknown(case, intake_worker, analyst):
    unknown = processed_photo(case, intake_worker, seed=504, utc_offset=None)
    known = processed_photo(case, intake_worker, seed=505, utc_offset="+03:00")
    api = APIClient()
    api.force_authenticate(analyst)
    rows = {row["id"]: row for row in api.get(f"/api/cases/{case.reference}/media/").json()["results"]}
    assert (rows[unknown.pk]["capture_time"], rows[unknown.pk]["capture_time_zone_known"]) == (
        "2020-01-02T03:04:05",
        False,
    )
    assert (rows[known.pk]["capture_time"], rows[known.pk]["capture_time_zone_known"]) == ("2020-01-02T00:04:05Z", True)
    detail = api.get(f"/api/cases/{case.reference}/media/{unknown.pk}/").json()
    assert detail["capture_time"] == "2020-01-02T03:04:05"


def test_packet_report_says_time_zone_unknown(case, intake_worker, analyst, tmp_path):
    incident = IncidentFactory(case=case)
    processed_photo(case, intake_worker, seed=506, utc_offset=None, incidents=[incident])
    bundle = bundle_request(
        case=case,
        scope="incidents",
        incidents=[incident],
        recipient="UN",
        profile="internal",
        purpose="",
        actor=analyst,
    )
    bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "ready", bundle.failure_reason
    with zipfile.ZipFile(Path(default_storage.path(bundle.archive.name))) as packet:
        (tmp_path / "report.pdf").write_bytes(packet.read("report.pdf"))
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Captured: 2 January 2020, 03:04 (time zone unknown)" in " ".join(text.split())
