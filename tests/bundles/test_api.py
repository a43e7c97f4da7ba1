"""Evidence packets through the REST API: request, follow, download; only for the packet permission."""

import io
import zipfile

import pytest
from rest_framework.test import APIClient

from casework.bundles.models import EvidenceBundle
from casework.bundles.services import bundle_build
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_request_follow_and_download_a_packet(api, case, analyst, django_capture_on_commit_callbacks):
    IncidentFactory(case=case, reference="INC-1")
    api.force_authenticate(analyst)
    packets = f"/api/cases/{case.reference}/packets/"
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            packets, {"scope": "incidents", "incidents": ["INC-1"], "recipient": "UN IIIM", "profile": "court"}
        )
    assert response.status_code == 201, response.json()
    assert len(callbacks) == 1, "the build is handed to a worker after the commit"
    body = response.json()
    assert (body["status"], body["incidents"], body["requested_by"]) == ("queued", ["INC-1"], "analyst")
    detail = f"{packets}{body['id']}/"
    assert api.get(detail + "download/").status_code == 404, "not ready yet"
    bundle_build(bundle_id=body["id"])
    ready = api.get(detail).json()
    assert ready["status"] == "ready" and ready["progress_percent"] == 100 and len(ready["manifest_sha256"]) == 64
    download = api.get(detail + "download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "manifest.json" in archive.namelist()


def test_bad_packet_request_is_refused_and_nothing_queued(api, case, other_case, analyst):
    IncidentFactory(case=other_case, reference="INC-9")
    api.force_authenticate(analyst)
    packets = f"/api/cases/{case.reference}/packets/"
    for payload, field in (
        ({"scope": "incidents", "recipient": "UN", "profile": "court"}, "incidents"),
        ({"scope": "incidents", "incidents": ["INC-9"], "recipient": "UN", "profile": "court"}, "incidents"),
        ({"scope": "case", "recipient": "UN", "profile": "everyone"}, "profile"),
        ({"scope": "case", "recipient": "", "profile": "court"}, "recipient"),
    ):
        response = api.post(packets, payload, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
    assert not EvidenceBundle.objects.exists()


def test_packets_need_the_packet_permission(api, case, intake_worker, reviewer, outsider):
    packets = f"/api/cases/{case.reference}/packets/"
    for person in (intake_worker, reviewer):
        api.force_authenticate(person)
        assert api.get(packets).status_code == 403
        assert api.post(packets, {"scope": "case", "recipient": "UN", "profile": "court"}).status_code == 403
    api.force_authenticate(outsider)
    assert api.get(packets).status_code == 404
    assert not EvidenceBundle.objects.exists()
