"""A consent withdrawn after a packet was built stops its download until it is rebuilt without that witness;
a witness is named only through an audited reveal by someone who may reveal identities."""

import json
import zipfile
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.audit.models import AuditEvent
from casework.bundles import services
from casework.bundles.models import EvidenceBundle
from casework.web import formatting
from casework.witnesses.models import Consent
from tests.bundles.conftest import REAL_NAME, build, make_evidence, packet_path, whole_packet_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def packet_json(bundle, name):
    with zipfile.ZipFile(packet_path(bundle)) as packet:
        return json.loads(packet.read(name))


def download_page(client, bundle, **headers):
    return client.get(reverse("bundles:bundle_download", args=[bundle.case.reference, bundle.pk]), **headers)


def download_api(api, bundle):
    return api.get(f"/api/cases/{bundle.case.reference}/packets/{bundle.pk}/download/")


# 7. Consent withdrawal reaches packets already built.


def test_a_withdrawn_consent_stops_downloads_until_the_packet_is_rebuilt(case, intake_worker, analyst, client, api):
    incident, witness, recording, activist, _photo = make_evidence(case, intake_worker)
    bundle = build(case, analyst, incident, "court")
    assert bundle.witness_material == [
        {"witness": witness.pk, "pseudonym": "W-900", "disclosure": "pseudonym", "carries": ["recording", "testimony"]}
    ]
    client.force_login(analyst)
    api.force_authenticate(analyst)
    assert download_page(client, bundle).status_code == 200

    today = timezone.localdate()
    Consent.objects.filter(witness=witness, scope="courts").update(withdrawn_on=today)
    message = f"Consent withdrawn on {formatting.format_date(today)} for witness W-900; rebuild the packet."
    page = download_page(client, bundle)
    assert page.status_code == 409 and message in page.content.decode()
    response = download_api(api, bundle)
    assert response.status_code == 409 and response.json() == {"non_field_errors": [message]}
    assert api.get(f"/api/cases/{case.reference}/packets/{bundle.pk}/").json()["must_rebuild"] == message
    listing = client.get(reverse("bundles:bundle_list", args=[case.reference])).content.decode()
    assert "Must be rebuilt" in listing and message in listing
    arabic = download_page(client, bundle, HTTP_ACCEPT_LANGUAGE="ar")
    assert arabic.status_code == 409
    assert f"سُحبت موافقة الشاهد W-900 في {formatting.format_date(today)}؛ أعد إنشاء الحزمة." in arabic.content.decode()
    downloads = AuditEvent.objects.filter(action="export", details__downloaded=True).count()
    assert downloads == 1  # the refused ones were not recorded as downloads

    client.post(reverse("bundles:bundle_retry", args=[case.reference, bundle.pk]))
    bundle.refresh_from_db()
    assert bundle.status == "queued" and not bundle.archive
    services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "ready" and bundle.witness_material == []
    manifest = packet_json(bundle, "manifest.json")
    assert packet_json(bundle, "testimonies.json") == []
    assert [entry["original_sha256"] for entry in manifest["files"] if "exhibit" in entry] == [activist.sha256]
    assert {"kind": "media", "sha256": recording.sha256, "reason": "consent withdrawn"} in manifest["excluded"]
    assert {"kind": "testimony", "witness": "W-900", "reason": "consent withdrawn"} in manifest["excluded"]
    assert download_page(client, bundle).status_code == 200


def test_a_consent_withdrawn_before_a_new_request_is_named_as_the_reason(case, intake_worker, analyst):
    incident, witness, recording, *_ = make_evidence(case, intake_worker)
    Consent.objects.filter(witness=witness).update(withdrawn_on=date(2021, 5, 1))
    manifest = packet_json(build(case, analyst, incident, "internal"), "manifest.json")
    assert {entry["reason"] for entry in manifest["excluded"]} == {"consent withdrawn"}


def test_a_packet_stays_downloadable_while_its_consent_holds(case, intake_worker, analyst, client):
    incident, witness, *_ = make_evidence(case, intake_worker)
    bundle = build(case, analyst, incident, "court")
    Consent.objects.filter(witness=witness, scope="internal").update(withdrawn_on=timezone.localdate())
    client.force_login(analyst)
    assert download_page(client, bundle).status_code == 200  # only court consent matters for a court packet


def test_a_named_packet_must_be_rebuilt_when_the_name_consent_is_replaced(case, intake_worker, case_admin, client):
    incident, witness, *_ = make_evidence(case, intake_worker, allows_name=True)
    bundle = build(case, case_admin, incident, "court", purpose="ICC filing")
    today = timezone.localdate()
    # A newer consent for courts without the name supersedes the one that allowed it.
    Consent.objects.filter(witness=witness, scope="courts").update(superseded_on=today)
    Consent.objects.create(witness=witness, scope="courts", given_on=today, method="written")
    client.force_login(case_admin)
    page = download_page(client, bundle)
    assert page.status_code == 409 and "for witness W-900; rebuild the packet" in page.content.decode()
    client.post(reverse("bundles:bundle_retry", args=[case.reference, bundle.pk]))
    services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert REAL_NAME not in whole_packet_text(packet_path(bundle))
    assert packet_json(bundle, "testimonies.json")[0]["witness"] == "W-900"


# 8. Names only through an audited reveal.


@pytest.mark.parametrize("profile", ["internal", "court"])
def test_an_analyst_packet_never_names_a_witness(case, intake_worker, analyst, client, profile, layout):
    incident, *_ = make_evidence(case, intake_worker, allows_name=True)
    bundle = build(case, analyst, incident, profile, purpose="story")
    assert not bundle.names_witnesses
    assert REAL_NAME not in whole_packet_text(packet_path(bundle))
    client.force_login(analyst)
    assert download_page(client, bundle).status_code == 200
    assert not AuditEvent.objects.filter(action="identity_revealed").exists()


def test_a_naming_packet_needs_a_purpose(case, intake_worker, case_admin, client, api):
    incident, *_ = make_evidence(case, intake_worker, allows_name=True)
    client.force_login(case_admin)
    page = client.post(
        reverse("bundles:bundle_list", args=[case.reference]),
        {"recipient": "ICC", "profile": "court", "scope": "case", "purpose": "  "},
    )
    assert page.status_code == 400 and "Say why they must be named" in page.content.decode()
    api.force_authenticate(case_admin)
    response = api.post(
        f"/api/cases/{case.reference}/packets/", {"scope": "case", "recipient": "ICC", "profile": "court"}
    )
    assert response.status_code == 400 and "Say why they must be named" in response.json()["purpose"][0]
    assert not EvidenceBundle.objects.exists()
    # A public packet names nobody, so it needs no purpose.
    assert api.post(
        f"/api/cases/{case.reference}/packets/", {"scope": "case", "recipient": "Press", "profile": "public"}
    ).status_code == 201  # fmt: skip


def test_a_naming_packet_is_an_audited_reveal_when_built_and_when_downloaded(
    case, intake_worker, analyst, case_admin, client, api
):
    incident, witness, *_ = make_evidence(case, intake_worker, allows_name=True)
    bundle = build(case, case_admin, incident, "court", purpose="ICC filing, article 15 communication")
    assert bundle.names_witnesses and REAL_NAME in whole_packet_text(packet_path(bundle))
    built = AuditEvent.objects.get(action="identity_revealed")
    assert (built.actor, built.object_type, built.object_id) == (case_admin, "witnesses.witness", str(witness.pk))
    assert built.reason == "ICC filing, article 15 communication" and built.details["bundle"] == bundle.pk
    assert REAL_NAME not in json.dumps(built.details)

    client.force_login(analyst)
    api.force_authenticate(analyst)
    assert download_page(client, bundle).status_code == 403
    assert download_api(api, bundle).status_code == 403
    assert AuditEvent.objects.filter(action="identity_revealed").count() == 1

    client.force_login(case_admin)
    assert download_page(client, bundle).status_code == 200
    downloaded = AuditEvent.objects.filter(action="identity_revealed").exclude(pk=built.pk).get()
    assert (downloaded.actor, downloaded.object_id, downloaded.reason) == (case_admin, str(witness.pk), built.reason)
    assert downloaded.details["downloaded"] is True


def test_a_superuser_outside_the_team_gets_pseudonyms(case, intake_worker, superuser):
    incident, *_ = make_evidence(case, intake_worker, allows_name=True)
    bundle = build(case, superuser, incident, "court")
    assert not bundle.names_witnesses and REAL_NAME not in whole_packet_text(packet_path(bundle))
