"""Revision history says what changed, field by field (old → new), with labels and not stored codes, on the
incident, victim, witness, testimony and media pages; a witness's identity never shows, only that it changed."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import translation

from casework.audit.history import record_revisions, witness_revisions
from casework.evidence.services import media_update
from casework.incidents.models import Governorate
from casework.incidents.services import incident_write, victim_write
from casework.witnesses import services as witness_services
from tests.factories import IncidentFactory, MediaItemFactory, TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """A page requested in Arabic leaves Arabic active in this thread; the selectors' labels follow it."""
    with translation.override("en"):
        yield


def changes(revision) -> dict[str, tuple[str, str]]:
    return {change.label: (change.old, change.new) for change in revision.changes}


def test_incident_changes_show_labels_old_and_new_values(client, case, intake_worker, analyst):
    incident = IncidentFactory(
        case=case, title="Strike on a market", start_time=datetime(2019, 12, 1, tzinfo=UTC), date_precision="exact"
    )
    aleppo = Governorate.objects.get(code="aleppo", case=None)
    incident_write(
        case=case, actor=intake_worker, incident=incident, expected_version=incident.version,
        values={"title": "Strike on the Ariha market", "date_precision": "unknown_day", "governorate": aleppo},
    )  # fmt: skip
    latest = record_revisions(incident)[0]
    assert latest.who == "intake_worker" and latest.kind == "Record changed"
    shown = changes(latest)
    assert shown["title"] == ("Strike on a market", "Strike on the Ariha market")
    assert shown["date precision"] == ("Exact", "Day unknown")  # labels, not "exact" / "unknown_day"
    assert shown["governorate"] == ("Idlib", "Aleppo")

    client.force_login(analyst)
    page = client.get(reverse("incidents:incident_detail", args=[case.reference, incident.pk])).content.decode()
    assert "Strike on a market</bdi>" in page and "Strike on the Ariha market</bdi>" in page
    assert "Day unknown" in page and "unknown_day" not in page.split('class="history"')[1]


def test_victim_page_shows_status_change_in_arabic_labels(client, case, intake_worker, analyst):
    incident = IncidentFactory(case=case)
    victim = victim_write(
        actor=intake_worker,
        incident=incident,
        values={"name": "Omar", "sex": "male", "age_band": "child", "status": "injured"},
    )
    victim_write(actor=intake_worker, victim=victim, values={"status": "killed"})
    client.force_login(analyst)
    url = reverse("incidents:victim_detail", args=[case.reference, victim.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        '<bdi class="old" dir="auto">Injured</bdi>' in english and '<bdi class="new" dir="auto">Killed</bdi>' in english
    )
    arabic = client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "injured" not in arabic and "killed" not in arabic.split('class="data revisions"')[1]


def test_witness_identity_change_shows_no_field_and_no_value_and_is_never_decrypted(
    client, case, intake_worker, analyst
):
    witness = witness_services.witness_write(
        case=case,
        actor=intake_worker,
        values={"pseudonym": "W-700", "relationship": "eyewitness", "real_name": "Fatima Sa'id"},
    )
    witness_services.witness_write(
        case=case, actor=intake_worker, witness=witness, expected_version=witness.version,
        values={"real_name": "Fatima Saeed", "risk_level": "critical"},
    )  # fmt: skip
    revisions = witness_revisions(witness)
    assert sorted(revision.kind for revision in revisions) == ["Identity changed", "Record changed", "Record created"]
    identity = next(revision for revision in revisions if revision.kind == "Identity changed")
    assert identity.changes == () and identity.who == "intake_worker"
    risk = next(revision for revision in revisions if revision.kind == "Record changed")
    assert changes(risk)["risk level"][1] == "Critical"

    client.force_login(analyst)
    with mock.patch("casework.witnesses.crypto.decrypt_text", side_effect=AssertionError("decrypted")):
        page = client.get(reverse("witnesses:witness_detail", args=[case.reference, witness.pk])).content.decode()
    assert "Identity changed" in page
    assert "Fatima" not in page and "real name" not in page.lower().split('class="history"')[1]


def test_testimony_and_media_pages_show_old_and_new_values(client, case, intake_worker, analyst):
    witness = WitnessFactory(case=case, pseudonym="W-701")
    testimony = TestimonyFactory(case=case, witness=witness, interviewer=intake_worker, method="phone")
    witness_services.testimony_write(
        case=case, actor=intake_worker, testimony=testimony, expected_version=testimony.version,
        values={"method": "in_person", "original_text": "رأيت الطائرة تقصف السوق من الشمال."},
    )  # fmt: skip
    item = MediaItemFactory(case=case, acquired_by=intake_worker, description="Before")
    media_update(item=item, actor=intake_worker, description="The market after the strike", witness=witness)
    item.thumbnail = "derived/f00d/thumbnail.jpg"  # as processing stores it: a storage path, never shown
    item.keyframes = ["derived/f00d/keyframe-0.jpg"]
    item.save()

    client.force_login(analyst)
    page = client.get(reverse("witnesses:testimony_detail", args=[case.reference, testimony.pk])).content.decode()
    history = page.split('class="history"')[1]
    assert "Phone" in history and "In person" in history and "in_person" not in history
    assert "رأيت الطائرة تقصف السوق من الشمال." in history
    page = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    history = page.split('class="history"')[1]
    assert '<bdi class="old" dir="auto">Before</bdi>' in history and "The market after the strike</bdi>" in history
    assert '<bdi class="new" dir="auto">W-701</bdi>' in history  # the witness by pseudonym
    assert "derived/f00d" not in page
