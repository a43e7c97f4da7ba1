"""Pages that show a witness by pseudonym never read, let alone decrypt, the witness's identity."""

import io

import pytest
from django.urls import reverse

from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream
from casework.witnesses import crypto
from tests.factories import IncidentFactory, TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db

CANARY_NAME, CANARY_PHONE = "Canary Decrypt 91ab", "+963 933 123 987"


def test_witness_testimony_review_media_and_incident_pages_never_decrypt_the_identity(
    client, case, intake_worker, case_admin, monkeypatch
):
    incident = IncidentFactory(case=case)
    witness = WitnessFactory(case=case, real_name=CANARY_NAME, phone=CANARY_PHONE)
    testimony = TestimonyFactory(
        case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker, status="submitted"
    )
    testimony.incidents.add(incident)
    item = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=5)),
        case=case,
        original_filename="from-the-witness.jpg",
        source="witness",
        acquired_by=intake_worker,
        incidents=[incident],
        testimony=testimony,
        witness=witness,
    ).item
    decrypted = []
    original = crypto.decrypt_text
    monkeypatch.setattr(crypto, "decrypt_text", lambda token: decrypted.append(original(token)) or decrypted[-1])
    client.force_login(case_admin)
    pages = [
        reverse("witnesses:witness_list", args=[case.reference]),
        reverse("witnesses:witness_detail", args=[case.reference, witness.pk]),
        reverse("witnesses:testimony_list", args=[case.reference]),
        reverse("witnesses:testimony_detail", args=[case.reference, testimony.pk]),
        reverse("web:review_queue", args=[case.reference]),
        reverse("evidence:media_list", args=[case.reference]),
        reverse("evidence:media_detail", args=[item.pk]),
        reverse("witnesses:testimony_edit", args=[case.reference, testimony.pk]),
        # The incident's sources name its testimonies' witnesses and the senders of its media by pseudonym.
        reverse("incidents:incident_detail", args=[case.reference, incident.pk]),
        # The witness pickers' search.
        reverse("web:pick_witnesses", args=[case.reference]) + f"?q={witness.pseudonym}",
    ]
    for url in pages:
        decrypted.clear()
        response = client.get(url)
        assert response.status_code == 200, url
        assert witness.pseudonym in response.content.decode() or url.endswith("/media/"), url
        assert CANARY_NAME not in decrypted and CANARY_PHONE not in decrypted, f"{url} decrypted an identity"
