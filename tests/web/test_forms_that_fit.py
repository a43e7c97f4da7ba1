"""Forms that fit: boxes beside their labels, text areas that take Arabic in its own direction, the reveal link
for case admins, a packet form that explains each redaction profile, and an empty public packet that says so."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from casework.bundles import services as bundle_services
from casework.bundles.models import EvidenceBundle
from tests.factories import IncidentFactory, MediaItemFactory, TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_text_areas_set_their_direction_from_what_is_typed(client, case, intake_worker, reviewer):
    IncidentFactory(case=case)
    witness = WitnessFactory(case=case)
    item = MediaItemFactory(case=case, acquired_by=intake_worker)
    pages = [
        (intake_worker, reverse("witnesses:testimony_create", args=[case.reference])),
        (intake_worker, reverse("witnesses:witness_edit", args=[case.reference, witness.pk])),
        (intake_worker, reverse("witnesses:witness_detail", args=[case.reference, witness.pk])),
        (reviewer, reverse("evidence:media_detail", args=[item.pk])),
    ]
    for person, url in pages:
        client.force_login(person)
        areas = re.findall(r"<textarea[^>]*>", client.get(url).content.decode())
        assert areas and all('dir="auto"' in area for area in areas), (url, areas)


def test_a_single_checkbox_sits_inside_its_label(client, case, intake_worker):
    witness = WitnessFactory(case=case)
    client.force_login(intake_worker)
    page = client.get(reverse("witnesses:witness_detail", args=[case.reference, witness.pk])).content.decode()
    assert '<label class="checkbox" for="id_allows_name"><input type="checkbox" name="allows_name"' in page


def test_reveal_link_shows_for_case_admins_only(client, case, case_admin, reviewer):
    witness = WitnessFactory(case=case)
    url = reverse("witnesses:witness_detail", args=[case.reference, witness.pk])
    client.force_login(case_admin)
    assert 'class="button reveal-link"' in client.get(url).content.decode()
    client.force_login(reviewer)
    assert "reveal-link" not in client.get(url).content.decode()


def test_packet_form_explains_each_profile_in_both_languages(client, case, analyst):
    client.force_login(analyst)
    url = reverse("bundles:bundle_list", args=[case.reference])
    page = client.get(url).content.decode()
    assert 'aria-describedby="id_profile_explanations"' in page
    for code in ("internal", "court", "public"):
        assert f'<dt data-choice="{code}">' in page
    assert "so the packet may be empty" in page
    arabic = client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "للنشر" in arabic


def test_a_public_packet_with_nothing_in_it_says_so_instead_of_ready(client, case, analyst, intake_worker):
    incident = IncidentFactory(case=case)
    witness = WitnessFactory(case=case)  # no consent to publication: everything of theirs is left out
    TestimonyFactory(
        case=case, witness=witness, status="verified", reviewed_by=analyst, reviewed_at=incident.start_time
    )
    item = MediaItemFactory(case=case, acquired_by=intake_worker, witness=witness, exhibit_number="CW-1-000001")
    item.incidents.add(incident)
    bundle = bundle_services.bundle_request(
        case=case, scope="case", incidents=[], recipient="A newspaper", profile="public", purpose="", actor=analyst
    )
    bundle_services.bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert (bundle.status, bundle.exhibit_count, bundle.testimony_count) == ("ready", 0, 0)
    client.force_login(analyst)
    page = client.get(reverse("bundles:bundle_list", args=[case.reference])).content.decode()
    assert "Ready, but empty" in page and "Nothing could go into this packet" in page
    assert 'class="state state-ready"' not in page


def test_a_packet_with_contents_reads_ready(client, case, analyst):
    EvidenceBundle.objects.create(
        case=case, scope="case", recipient="A court", profile="court", status="ready", requested_by=analyst,
        exhibit_count=3, testimony_count=0, manifest_sha256="0" * 64, archive="packets/x.zip", size_bytes=1,
    )  # fmt: skip
    client.force_login(analyst)
    page = client.get(reverse("bundles:bundle_list", args=[case.reference])).content.decode()
    assert 'class="state state-ready"' in page and "Ready, but empty" not in page
