"""Evidence through the REST API: same rules as the web, one file per request, precise errors."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.web.models import ApiToken
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def post_file(api, case, content: bytes, **fields):
    return api.post(
        f"/api/cases/{case.reference}/media/",
        {"file": SimpleUploadedFile("x.jpg", content), "source": "witness", **fields},
        format="multipart",
    )


def test_token_upload_returns_the_item_with_its_hash(api, intake_worker, case):
    IncidentFactory(case=case, reference="INC-1")
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=intake_worker)[1]}")
    content = jpeg_bytes(seed=40)
    response = post_file(api, case, content, incidents=["INC-1"])
    assert response.status_code == 201, response.json()
    assert response.json()["item"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert response.json()["item"]["incidents"] == ["INC-1"]
    again = post_file(api, case, content)
    assert again.status_code == 200 and again.json()["created"] is False
    assert MediaItem.objects.count() == 1


def test_unknown_incident_is_a_precise_error_and_nothing_is_stored(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    response = post_file(api, case, jpeg_bytes(seed=41), incidents=["INC-404"])
    assert response.status_code == 400
    assert response.json() == {"incidents": ["No such incident in this case: INC-404"]}
    assert MediaItem.objects.count() == 0


def test_rejected_type_is_a_precise_error(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    response = post_file(api, case, b"<html><script>x</script></html>")
    assert response.status_code == 400
    assert "text/html are not accepted" in response.json()["file"][0]
    assert MediaItem.objects.count() == 0


def test_permissions(api, intake_worker, reviewer, analyst, outsider, case):
    api.force_authenticate(intake_worker)
    item_id = post_file(api, case, jpeg_bytes(seed=42)).json()["item"]["id"]
    api.force_authenticate(analyst)
    assert api.get(f"/api/cases/{case.reference}/media/{item_id}/").status_code == 200
    assert api.get(f"/api/cases/{case.reference}/media/").json()["results"][0]["id"] == item_id
    assert post_file(api, case, jpeg_bytes(seed=43)).status_code == 403
    api.force_authenticate(reviewer)
    assert post_file(api, case, jpeg_bytes(seed=44)).status_code == 403
    api.force_authenticate(outsider)
    assert api.get(f"/api/cases/{case.reference}/media/{item_id}/").status_code == 404
    assert api.get(f"/api/cases/{case.reference}/media/").status_code == 404
    api.force_authenticate(None)
    assert api.get(f"/api/cases/{case.reference}/media/{item_id}/").status_code in (401, 403)
    assert MediaItem.objects.count() == 1


def test_original_download_is_byte_exact_and_recorded_in_custody(api, intake_worker, reviewer, case):
    api.force_authenticate(intake_worker)
    content = jpeg_bytes(seed=45)
    item_id = post_file(api, case, content).json()["item"]["id"]
    api.force_authenticate(reviewer)
    response = api.get(f"/api/cases/{case.reference}/media/{item_id}/original/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["X-Content-Type-Options"] == "nosniff"
    events = api.get(f"/api/cases/{case.reference}/custody/?media_item={item_id}").json()["results"]
    assert [event["action"] for event in events][0] == "received"
    assert events[-1]["action"] == "downloaded" and events[-1]["actor_label"] == "reviewer"
    assert [event["sequence"] for event in events] == sorted(event["sequence"] for event in events)


def test_custody_log_is_read_only(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    post_file(api, case, jpeg_bytes(seed=46))
    first = api.get(f"/api/cases/{case.reference}/custody/").json()["results"][0]
    url = f"/api/cases/{case.reference}/custody/{first['sequence']}/"
    assert api.get(url).json()["event_hash"] == first["event_hash"]
    assert api.post(f"/api/cases/{case.reference}/custody/", {}).status_code == 405
    assert api.patch(url, {"action": "verified"}).status_code == 405
    assert api.delete(url).status_code == 405


def test_media_list_filters(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    IncidentFactory(case=case, reference="INC-2")
    post_file(api, case, jpeg_bytes(seed=47), incidents=["INC-2"])
    post_file(api, case, jpeg_bytes(seed=48))
    listed = api.get(f"/api/cases/{case.reference}/media/?incident=INC-2").json()
    assert len(listed["results"]) == 1 and listed["results"][0]["incidents"] == ["INC-2"]
    sha = hashlib.sha256(jpeg_bytes(seed=48)).hexdigest()
    assert len(api.get(f"/api/cases/{case.reference}/media/?sha256={sha.upper()}").json()["results"]) == 1
    assert len(api.get(f"/api/cases/{case.reference}/media/?kind=video").json()["results"]) == 0
    assert api.get(f"/api/cases/{case.reference}/media/?kind=hologram").status_code == 400
