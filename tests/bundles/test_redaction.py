"""What each redaction profile lets into a packet: decided by profiles.py alone, and nothing a public packet
must not carry (identifiers of withheld items, staff usernames, URLs that lead back to a witness)."""

import ast
import dataclasses
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageFile

from casework.bundles import api, builder, profiles, report, services, views
from casework.bundles.models import RedactionProfile
from casework.bundles.verify_bundle import verify
from casework.evidence.models import CustodyEvent, MediaItem
from casework.evidence.samples import jpeg_bytes
from tests.bundles.conftest import (
    build,
    give_consent,
    ingest,
    make_evidence,
    packet_path,
    stored_item,
    whole_packet_text,
)
from tests.factories import MembershipFactory, UserFactory, WitnessFactory

pytestmark = pytest.mark.django_db

# libmagic reads this as image/heic; Pillow has no decoder for it here.
HEIC_BYTES = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 4000


def manifest_of(bundle) -> dict:
    with zipfile.ZipFile(packet_path(bundle)) as packet:
        return json.loads(packet.read("manifest.json"))


def exhibit_hashes(bundle) -> list[str]:
    return [entry["original_sha256"] for entry in manifest_of(bundle)["files"] if "exhibit" in entry]


# 1. Redaction decisions live in profiles.py only.


@pytest.mark.parametrize("module", [builder, report, views, api, services], ids=lambda module: module.__name__)
def test_no_code_outside_profiles_compares_profile_names(module):
    tree = ast.parse(Path(module.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            constants = {part.value for part in ast.walk(node) if isinstance(part, ast.Constant)}
            attributes = {part.attr for part in ast.walk(node) if isinstance(part, ast.Attribute)}
            assert not constants & set(RedactionProfile.values), ast.unparse(node)
            assert not attributes & {"profile", "INTERNAL", "COURT", "PUBLIC"}, ast.unparse(node)
    templates = Path(views.__file__).parent / "templates" / "bundles"
    for template in templates.glob("*.html"):
        assert "profile ==" not in template.read_text() and "profile !=" not in template.read_text()


def test_the_builder_follows_the_profile_rules(case, intake_worker, analyst, monkeypatch):
    incident, *_ = make_evidence(case, intake_worker)
    court = profiles.rules_for(RedactionProfile.COURT)
    monkeypatch.setitem(
        profiles.PROFILE_RULES,
        RedactionProfile.COURT,
        dataclasses.replace(court, writes_loadfile=False, shows_staff_usernames=False),
    )
    manifest = manifest_of(build(case, analyst, incident, "court"))
    assert "loadfile.dat" not in {entry["path"] for entry in manifest["files"]}
    assert {entry["acquired_by"] for entry in manifest["files"] if "exhibit" in entry} == {"field researcher"}


# 2. Public copies only of what decodes completely; withdrawn items nowhere.


def test_a_heic_photo_is_left_out_of_a_public_packet_with_a_reason(case, intake_worker, analyst):
    incident, _witness, _item, activist, _photo = make_evidence(case, intake_worker)
    stored_item(case, intake_worker, incident, HEIC_BYTES, mime_type="image/heic")
    bundle = build(case, analyst, incident, "public")
    assert exhibit_hashes(bundle) == [activist.sha256]
    assert {"kind": "media", "reason": "could not be re-encoded without its metadata", "count": 1} in manifest_of(
        bundle
    )["excluded"]
    assert verify(str(packet_path(bundle))) == []


def test_a_truncated_photo_is_never_published_as_a_grey_filled_copy(case, intake_worker, analyst):
    import weasyprint  # noqa: F401  (switches LOAD_TRUNCATED_IMAGES on for the process, as a worker would)

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    incident, _witness, _item, activist, _photo = make_evidence(case, intake_worker)
    whole = jpeg_bytes(seed=77)
    stored_item(case, intake_worker, incident, whole[: len(whole) // 2], mime_type="image/jpeg")
    bundle = build(case, analyst, incident, "public")
    assert exhibit_hashes(bundle) == [activist.sha256]
    reasons = {entry["reason"] for entry in manifest_of(bundle)["excluded"]}
    assert "could not be re-encoded without its metadata" in reasons
    assert ImageFile.LOAD_TRUNCATED_IMAGES, "the process-wide setting is left as it was"


def test_only_successfully_processed_photos_get_public_copies(case, intake_worker, analyst):
    incident, _witness, _item, activist, _photo = make_evidence(case, intake_worker)
    failed = stored_item(case, intake_worker, incident, jpeg_bytes(seed=78), mime_type="image/jpeg")
    MediaItem.objects.filter(pk=failed.pk).update(processing_state="failed", processing_error="exiftool crashed")
    bundle = build(case, analyst, incident, "public")
    assert exhibit_hashes(bundle) == [activist.sha256]
    reasons = {entry["reason"] for entry in manifest_of(bundle)["excluded"]}
    assert "not processed successfully, so no metadata-free copy can be made" in reasons


@pytest.mark.parametrize("profile", RedactionProfile.values)
def test_a_withdrawn_item_stays_out_of_every_profile(case, intake_worker, case_admin, analyst, profile):
    incident, _witness, _item, activist, _photo = make_evidence(case, intake_worker)
    MediaItem.objects.filter(pk=activist.pk).update(
        withdrawn_at=timezone.now(), withdrawn_by=case_admin, withdrawal_reason="staged footage"
    )
    bundle = build(case, analyst, incident, profile)
    assert activist.sha256 not in exhibit_hashes(bundle)
    assert "withdrawn" in {entry["reason"] for entry in manifest_of(bundle)["excluded"]}
    assert not CustodyEvent.objects.filter(action="exported", object_id=str(activist.pk)).exists()


# 5. Exported means in the packet.


def test_only_items_really_in_the_packet_are_logged_as_exported(case, intake_worker, analyst):
    incident, _witness, item, activist, _photo = make_evidence(case, intake_worker, consent_scopes=())
    quarantined = stored_item(
        case, intake_worker, incident, jpeg_bytes(seed=79), mime_type="image/jpeg", processing_state="quarantined"
    )
    build(case, analyst, incident, "court")
    exported = set(CustodyEvent.objects.filter(action="exported").values_list("object_id", flat=True))
    assert exported == {str(activist.pk)}
    assert str(item.pk) not in exported and str(quarantined.pk) not in exported


# 6. Nothing in a public packet identifies withheld material, staff, or a witness's channel.


def test_public_packet_has_no_withheld_identifiers_usernames_or_witness_urls(case):
    field_researcher = UserFactory(username="rahim_field_7")
    requester = UserFactory(username="hala_analyst_7")
    reviewer = UserFactory(username="omar_review_7")
    MembershipFactory(case=case, user=field_researcher, role="intake")
    MembershipFactory(case=case, user=requester, role="analyst")
    MembershipFactory(case=case, user=reviewer, role="reviewer")
    # W-900 consented to internal and court use only: their testimony and photo are withheld.
    incident, _w900, withheld, activist, _photo = make_evidence(case, field_researcher)
    # W-901 consented to public use; the file they sent came through their own channel.
    w901 = WitnessFactory(case=case, pseudonym="W-901")
    give_consent(w901, ["media_public"])
    sent = ingest(
        case, field_researcher, jpeg_bytes(seed=902), incident, source="social_media", name="a.jpg",
        source_url="https://t.me/w901_channel/5",
    )  # fmt: skip
    MediaItem.objects.filter(pk=sent.pk).update(witness=w901)
    posted = ingest(
        case, field_researcher, jpeg_bytes(seed=903), incident, source="social_media", name="b.jpg",
        source_url="https://example.org/posted-video",
    )  # fmt: skip
    from casework.evidence.services import media_review

    media_review(item=activist, reviewer=reviewer, verified=True, notes="matches the site")
    bundle = build(case, requester, incident, "public")
    path = packet_path(bundle)
    text = whole_packet_text(path)
    assert verify(str(path)) == []
    assert set(exhibit_hashes(bundle)) == {activist.sha256, sent.sha256, posted.sha256}
    for secret in ("rahim_field_7", "hala_analyst_7", "omar_review_7", "W-900", withheld.sha256, "w901_channel"):
        assert secret not in text, secret
    assert "https://example.org/posted-video" in text  # not tied to any witness
    manifest = manifest_of(bundle)
    assert {entry["acquired_by"] for entry in manifest["files"] if "exhibit" in entry} == {"field researcher"}
    assert manifest["excluded"] == [
        {"kind": "media", "reason": "the witness has not consented to this use", "count": 1},
        {"kind": "testimony", "reason": "the witness has not consented to this use", "count": 1},
    ]
    with zipfile.ZipFile(path) as packet:
        custody = json.loads(packet.read("custody.json"))
    assert {event["who"] for event in custody[activist.sha256]} >= {"field researcher", "reviewer"}


def test_court_packet_keeps_usernames_identifiers_and_urls(case, intake_worker, analyst):
    incident, _witness, withheld, activist, _photo = make_evidence(case, intake_worker, consent_scopes=("internal",))
    MediaItem.objects.filter(pk=activist.pk).update(source_url="https://example.org/v")
    bundle = build(case, analyst, incident, "court")
    manifest = manifest_of(bundle)
    assert {"kind": "media", "sha256": withheld.sha256, "reason": "the witness has not consented to this use"} in (
        manifest["excluded"]
    )
    exhibit = next(entry for entry in manifest["files"] if "exhibit" in entry)
    assert (exhibit["acquired_by"], exhibit["source_url"]) == ("intake_worker", "https://example.org/v")


# 7. Media tied to a witness follow that witness's consent in every profile.


@pytest.mark.parametrize("profile", RedactionProfile.values)
def test_media_sent_by_a_witness_follow_their_consent_in_every_profile(case, intake_worker, analyst, profile):
    incident, _witness, _item, activist, _photo = make_evidence(case, intake_worker, consent_scopes=())
    silent = WitnessFactory(case=case, pseudonym="W-902")  # no consent for anything
    sent = ingest(case, intake_worker, jpeg_bytes(seed=904), incident, source="activist_message", name="c.jpg")
    MediaItem.objects.filter(pk=sent.pk).update(witness=silent)
    bundle = build(case, analyst, incident, profile)
    assert sent.sha256 not in exhibit_hashes(bundle)
    assert activist.sha256 in exhibit_hashes(bundle)


def test_a_public_copy_has_no_metadata(case, intake_worker, analyst):
    incident, *_ = make_evidence(case, intake_worker)
    bundle = build(case, analyst, incident, "public")
    with zipfile.ZipFile(packet_path(bundle)) as packet:
        path = next(entry["path"] for entry in manifest_of(bundle)["files"] if "exhibit" in entry)
        copy = Image.open(io.BytesIO(packet.read(path)))
        assert len(copy.getexif()) == 0
