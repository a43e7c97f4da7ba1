"""Every way to obtain an original's bytes leaves an audit row naming who, which item and from where."""

import io

import pytest
from django.urls import reverse

from casework.audit.models import AuditEvent
from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(case, intake_worker):
    result = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=61)),
        case=case,
        original_filename="p.jpg",
        source="witness",
        acquired_by=intake_worker,
    )
    media_process(item_id=result.item.pk)
    return MediaItem.objects.get(pk=result.item.pk)


@pytest.mark.parametrize(
    ("url_name", "action"),
    [("evidence:media_view_original", "original_viewed"), ("evidence:media_original", "original_downloaded")],
)
def test_obtaining_an_original_is_audited(client, analyst, case, photo, url_name, action):
    client.force_login(analyst)
    response = client.get(reverse(url_name, args=[photo.pk]), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == photo.original.open("rb").read()
    event = AuditEvent.objects.get(action=action)
    assert (event.actor, event.case, event.object_type, event.object_id, event.ip_address) == (
        analyst,
        case,
        "evidence.mediaitem",
        str(photo.pk),
        "192.0.2.7",
    )


def test_refused_view_of_an_original_is_not_audited_as_a_view(client, outsider, photo):
    client.force_login(outsider)
    assert client.get(reverse("evidence:media_view_original", args=[photo.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="original_viewed").exists()
