"""Connected records: an incident shows all its sources side by side, a victim has a page of their own, a
testimony shows its incidents and plays its recordings, a witness's page lists the files they sent."""

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes, write_video
from casework.evidence.services import media_ingest_stream, media_process, media_update
from casework.incidents.services import victim_mark_duplicate, victim_write
from tests.factories import IncidentFactory, TestimonyFactory, VictimFactory, WitnessFactory

pytestmark = pytest.mark.django_db


def ingest(case, person, content: bytes, *, name="photo.jpg", **fields) -> MediaItem:
    item = media_ingest_stream(
        stream=io.BytesIO(content),
        case=case,
        original_filename=name,
        source=fields.pop("source", "social_media"),
        acquired_by=person,
        **fields,
    ).item
    media_process(item_id=item.pk)
    return MediaItem.objects.get(pk=item.pk)


@pytest.fixture
def sources(case, intake_worker):
    """An incident told by two testimonies, shown by two files (one sent by a witness, one found online and
    sent again from another post), and a third file of another incident."""
    incident = IncidentFactory(case=case, reference="INC-700", title="Strike on the Ariha market")
    elsewhere = IncidentFactory(case=case, reference="INC-701")
    first_witness = WitnessFactory(case=case, pseudonym="W-701")
    second_witness = WitnessFactory(case=case, pseudonym="W-702")
    sender = WitnessFactory(case=case, pseudonym="W-703")
    submitted = TestimonyFactory(case=case, witness=first_witness, status="submitted")
    verified = TestimonyFactory(
        case=case, witness=second_witness, status="verified", reviewed_by=intake_worker, reviewed_at=timezone.now()
    )
    for testimony in (submitted, verified):
        testimony.incidents.add(incident)
    sent = ingest(case, intake_worker, jpeg_bytes(seed=701), source="witness", witness=sender, incidents=[incident])
    found = ingest(
        case, intake_worker, jpeg_bytes(seed=702), source_url="https://example.org/post/1", incidents=[incident]
    )
    again = ingest(case, intake_worker, jpeg_bytes(seed=702), source_url="https://example.net/repost/9")
    assert again.pk == found.pk
    other = ingest(
        case, intake_worker, jpeg_bytes(seed=703), source_url="https://example.org/other", incidents=[elsewhere]
    )
    victim = VictimFactory(incident=incident, name="Huda")
    return {"incident": incident, "sent": sent, "found": found, "other": other, "victim": victim, "sender": sender}


def section(page: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert match, heading_id
    return match.group(1)


def test_an_incident_shows_its_sources_side_by_side_with_counts(client, analyst, case, sources):
    client.force_login(analyst)
    page = client.get(reverse("incidents:incident_detail", args=[case.reference, sources["incident"].pk])).content
    page = page.decode()

    testimonies = section(page, "sources-testimonies")
    assert '<span class="count">2</span>' in testimonies
    assert (
        "W-701" in testimonies and "Submitted" in testimonies and "W-702" in testimonies and "Verified" in testimonies
    )

    media = section(page, "sources-media")
    assert '<span class="count">2</span>' in media
    for item in (sources["sent"], sources["found"]):
        assert item.exhibit_number in media
        assert reverse("evidence:media_thumbnail", args=[item.pk]) in media
        assert reverse("evidence:media_detail", args=[item.pk]) in media
    assert sources["other"].exhibit_number not in media

    online = section(page, "sources-online")
    assert '<span class="count">2</span>' in online  # both posts the same file came from
    for url in ("https://example.org/post/1", "https://example.net/repost/9"):
        assert f'<a href="{url}" rel="noopener noreferrer" target="_blank"' in online
    assert "https://example.org/other" not in online

    senders = section(page, "sources-senders")
    assert '<span class="count">1</span>' in senders
    assert reverse("witnesses:witness_detail", args=[case.reference, sources["sender"].pk]) in senders

    victim_url = reverse("incidents:victim_detail", args=[case.reference, sources["victim"].pk])
    assert f'<a href="{victim_url}"><bdi>Huda</bdi></a>' in page


def test_a_source_url_that_is_not_a_web_address_is_shown_as_text_not_a_link(client, analyst, case, sources):
    MediaItem.objects.filter(pk=sources["found"].pk).update(source_url="javascript:alert(1)")
    client.force_login(analyst)
    page = client.get(reverse("incidents:incident_detail", args=[case.reference, sources["incident"].pk])).content
    online = section(page.decode(), "sources-online")
    assert 'href="javascript:' not in online and "javascript:alert(1)" in online


def test_a_victim_has_a_page_with_incident_duplicates_and_revisions(client, intake_worker, reviewer, case):
    incident = IncidentFactory(case=case, reference="INC-710")
    other_incident = IncidentFactory(case=case, reference="INC-711")
    victim = victim_write(
        actor=intake_worker,
        incident=incident,
        values={"name": "Omar", "sex": "male", "age": 9, "age_band": "child", "status": "injured"},
    )
    victim_write(actor=intake_worker, victim=victim, values={"status": "killed", "notes": "Died in hospital."})
    same = VictimFactory(incident=other_incident, name="Omar K.")
    victim_mark_duplicate(victim=same, same_as=victim, actor=reviewer)

    client.force_login(reviewer)
    page = client.get(reverse("incidents:victim_detail", args=[case.reference, victim.pk])).content.decode()
    assert "<bdi>Omar</bdi>" in page and "Killed" in page and "Died in hospital." in page
    assert reverse("incidents:incident_detail", args=[case.reference, incident.pk]) in page
    assert reverse("incidents:victim_detail", args=[case.reference, same.pk]) in page  # the record linked to it
    revisions = re.search(r'<table class="data revisions">(.*?)</table>', page, re.S).group(1)
    assert "intake_worker" in revisions and "Record created" in revisions and "Record changed" in revisions
    assert "status" in revisions and "notes" in revisions

    duplicate = client.get(reverse("incidents:victim_detail", args=[case.reference, same.pk])).content.decode()
    assert "Same person as" in duplicate
    assert reverse("incidents:victim_detail", args=[case.reference, victim.pk]) in duplicate

    listing = client.get(reverse("incidents:victim_list", args=[case.reference])).content.decode()
    assert reverse("incidents:victim_detail", args=[case.reference, victim.pk]) in listing


def test_a_victim_of_another_case_is_not_found(client, outsider, intake_worker, case, other_case):
    victim = VictimFactory(incident=IncidentFactory(case=case))
    client.force_login(outsider)
    assert client.get(reverse("incidents:victim_detail", args=[case.reference, victim.pk])).status_code == 404
    # Nor through the outsider's own case.
    assert client.get(reverse("incidents:victim_detail", args=[other_case.reference, victim.pk])).status_code == 404


def test_a_testimony_shows_its_incidents_and_plays_its_recordings(client, analyst, intake_worker, case, tmp_path):
    incident = IncidentFactory(case=case, reference="INC-720", title="Shelling of the bakery")
    testimony = TestimonyFactory(case=case, interviewer=intake_worker, created_by=intake_worker)
    testimony.incidents.add(incident)
    video = write_video(tmp_path / "interview.mp4", seconds=1.0)
    recording = ingest(case, intake_worker, video.read_bytes(), name="interview.mp4", source="witness")
    media_update(item=recording, actor=intake_worker, testimony=testimony)
    client.force_login(analyst)
    page = client.get(reverse("witnesses:testimony_detail", args=[case.reference, testimony.pk])).content.decode()
    assert reverse("incidents:incident_detail", args=[case.reference, incident.pk]) in page
    assert "Shelling of the bakery" in page
    original = reverse("evidence:media_view_original", args=[recording.pk])
    assert re.search(rf'<video controls preload="none" src="{original}"', page)
    assert recording.exhibit_number in page


def test_a_witness_page_lists_the_media_they_sent(client, analyst, case, sources):
    client.force_login(analyst)
    page = client.get(reverse("witnesses:witness_detail", args=[case.reference, sources["sender"].pk])).content
    page = page.decode()
    assert sources["sent"].exhibit_number in page
    assert reverse("evidence:media_detail", args=[sources["sent"].pk]) in page
    assert sources["found"].exhibit_number not in page
