"""The identity canary, for packets: a witness's real name and contact details appear in no packet of any
profile built for any role that may request one, except a court or internal packet a case admin requested
with a stated purpose while the witness's confirmed consent allows the name, and then it is audited."""

import zipfile

import pytest

from casework.audit.models import AuditEvent
from casework.bundles.models import RedactionProfile
from tests.bundles.conftest import build, give_consent, make_evidence, packet_path, pdf_text

CANARY = "Canary Qx7 Packet-Name"
CANARY_PHONE = "+963-CANARY-0888"
CANARY_ADDRESS = "Street of the Canary 88"
CANARY_HANDLE = "@canary_qx7_handle"


def every_text_of(bundle) -> str:
    with zipfile.ZipFile(packet_path(bundle)) as packet:
        names = packet.namelist()
        contents = [packet.read(name) for name in names]
        report = pdf_text(packet.read("report.pdf"))
    return "\n".join([*names, *(data.decode("utf-8", "replace") for data in contents), report]), b"".join(contents)


@pytest.mark.django_db
@pytest.mark.parametrize("profile", RedactionProfile.values)
@pytest.mark.parametrize("role", ["analyst", "case_admin", "superuser"])
def test_no_packet_carries_the_canary_except_an_audited_case_admin_court_or_internal_packet(
    case, intake_worker, analyst, case_admin, superuser, role, profile
):
    requester = {"analyst": analyst, "case_admin": case_admin, "superuser": superuser}[role]
    incident, witness, *_ = make_evidence(case, intake_worker, consent_scopes=())
    witness.real_name = CANARY
    witness.phone = CANARY_PHONE
    witness.address = CANARY_ADDRESS
    witness.messaging_handles = CANARY_HANDLE
    witness.contact_details = CANARY_PHONE
    witness.save()
    give_consent(witness, ["internal", "courts", "media_public"], allows_name=True, confirmed_by=case_admin)

    bundle = build(case, requester, incident, profile, purpose="ICC filing")
    text, raw = every_text_of(bundle)
    for secret in (CANARY_PHONE, CANARY_ADDRESS, CANARY_HANDLE):
        assert secret not in text and secret.encode() not in raw
    reveals = AuditEvent.objects.filter(action="identity_revealed", object_id=str(witness.pk))
    if role == "case_admin" and profile in ("internal", "court"):
        assert CANARY in text
        assert reveals.count() == 1 and reveals.get().actor == case_admin and reveals.get().reason == "ICC filing"
    else:
        assert CANARY not in text and CANARY.encode() not in raw
        assert not reveals.exists()
    assert "W-900" in text  # the witness's account is there, under the pseudonym
