"""Record pickers: the search behind them answers only the case's team, by pseudonym for witnesses, a bounded
number of rows; the forms take a picked record (or a typed reference, without JavaScript) and refuse one of
another case with a clear error, writing nothing."""

import io

import pytest
from django.urls import reverse
from django.utils import translation

from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream
from casework.web.pickers import RESULTS_LIMIT
from casework.witnesses import crypto
from casework.witnesses.models import Testimony
from tests.factories import IncidentFactory, WitnessFactory

pytestmark = pytest.mark.django_db

KINDS = ("incidents", "witnesses", "recordings")


def search(client, case, kind: str, words: str = ""):
    return client.get(reverse(f"web:pick_{kind}", args=[case.reference]), {"q": words})


def new_testimony_data(witness, incidents, **extra) -> dict:
    return {
        "witness": witness,
        "incidents": incidents,
        "interview_date": "2017-10-04",
        "method": "in_person",
        "language": "en",
        "original_text": "The aircraft came from the east.",
        "translations-TOTAL_FORMS": 0,
        "translations-INITIAL_FORMS": 0,
        **extra,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_an_outsider_finds_nothing_of_a_case_not_theirs(client, case, outsider, kind):
    IncidentFactory(case=case, reference="INC-SECRET")
    WitnessFactory(case=case, pseudonym="W-SECRET")
    client.force_login(outsider)
    response = search(client, case, kind, "SECRET")
    assert response.status_code == 404 and b"SECRET" not in response.content


@pytest.mark.parametrize("kind", KINDS)
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, case, kind):
    response = search(client, case, kind)
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("role", ["intake_worker", "reviewer", "analyst", "case_admin"])
def test_every_role_on_the_case_finds_its_incidents_and_none_of_another_case(request, client, case, other_case, role):
    IncidentFactory(case=case, reference="INC-0101", title="Market in Maarat al-Numan")
    IncidentFactory(case=case, reference="INC-0102", title="Bakery in Kafr Nabl")
    IncidentFactory(case=other_case, reference="INC-0103", title="Market in Saraqib")
    client.force_login(request.getfixturevalue(role))
    results = search(client, case, "incidents", "market").json()["results"]
    assert [(row["key"], row["label"]) for row in results] == [("INC-0101", "INC-0101 — Market in Maarat al-Numan")]


def test_witnesses_are_found_and_shown_by_pseudonym_only(client, case, intake_worker, monkeypatch):
    WitnessFactory(case=case, pseudonym="W-Sparrow", real_name="Canary Picker Name", phone="+963 944 000 111")
    decrypted = []
    original = crypto.decrypt_text
    monkeypatch.setattr(crypto, "decrypt_text", lambda token: decrypted.append(original(token)) or decrypted[-1])
    client.force_login(intake_worker)
    assert search(client, case, "witnesses", "Canary").json()["results"] == [], "the name is not searchable"
    response = search(client, case, "witnesses", "sparrow")
    assert [row["label"] for row in response.json()["results"]] == ["W-Sparrow"]
    assert b"Canary" not in response.content and b"+963" not in response.content
    assert decrypted == [], "the search never decrypts an identity"


def test_recordings_are_the_case_audio_and_video_only(client, case, intake_worker):
    photo = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=1)),
        case=case,
        original_filename="photo.jpg",
        source="witness",
        acquired_by=intake_worker,
    ).item
    recording = MediaItem.objects.filter(pk=photo.pk)
    client.force_login(intake_worker)
    assert search(client, case, "recordings", photo.exhibit_number).json()["results"] == []
    recording.update(kind="audio")
    (row,) = search(client, case, "recordings", photo.exhibit_number).json()["results"]
    assert (row["id"], row["key"]) == (photo.pk, photo.exhibit_number)


def test_a_search_answers_a_bounded_number_of_rows_whatever_the_case_size(client, case, intake_worker):
    IncidentFactory.create_batch(RESULTS_LIMIT + 5, case=case)
    client.force_login(intake_worker)
    assert len(search(client, case, "incidents").json()["results"]) == RESULTS_LIMIT
    assert len(search(client, case, "incidents", "market").json()["results"]) == RESULTS_LIMIT


def test_the_testimony_form_lists_no_incident_until_one_searches(client, case, intake_worker):
    IncidentFactory(case=case, reference="INC-0777")
    client.force_login(intake_worker)
    page = client.get(reverse("witnesses:testimony_create", args=[case.reference])).content.decode()
    assert "INC-0777" not in page
    assert f'data-picker-url="{reverse("web:pick_incidents", args=[case.reference])}"' in page


def test_the_testimony_form_accepts_a_picked_incident(client, case, intake_worker):
    witness = WitnessFactory(case=case)
    incident = IncidentFactory(case=case)
    client.force_login(intake_worker)
    response = client.post(
        reverse("witnesses:testimony_create", args=[case.reference]), new_testimony_data(witness.pk, [incident.pk])
    )
    assert response.status_code == 302
    assert list(Testimony.objects.get().incidents.all()) == [incident]


def test_without_javascript_references_and_a_pseudonym_can_be_typed(client, case, intake_worker):
    witness = WitnessFactory(case=case, pseudonym="W-Olive Tree")
    first, second = IncidentFactory(case=case, reference="INC-0201"), IncidentFactory(case=case, reference="INC-0202")
    client.force_login(intake_worker)
    response = client.post(
        reverse("witnesses:testimony_create", args=[case.reference]),
        new_testimony_data("", [], witness_find="w-olive tree", incidents_find="INC-0201، inc-0202"),
    )
    assert response.status_code == 302
    testimony = Testimony.objects.get()
    assert testimony.witness == witness and set(testimony.incidents.all()) == {first, second}


def test_the_testimony_form_refuses_an_incident_of_another_case_and_writes_nothing(
    client, case, other_case, intake_worker
):
    witness = WitnessFactory(case=case)
    foreign = IncidentFactory(case=other_case, reference="INC-0999")
    client.force_login(intake_worker)
    url = reverse("witnesses:testimony_create", args=[case.reference])
    response = client.post(url, new_testimony_data(witness.pk, [foreign.pk]))
    assert response.status_code == 400
    assert "That incident is not one of this case’s incidents." in response.content.decode()
    response = client.post(url, new_testimony_data(witness.pk, [], incidents_find="INC-0999"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "No incident of this case has the reference “INC-0999”." in page
    assert 'value="INC-0999"' in page, "what was typed is kept for correcting"
    assert Testimony.objects.count() == 0 and foreign.testimonies.count() == 0


def test_the_refusal_is_in_arabic_for_an_arabic_speaker(client, case, intake_worker):
    witness = WitnessFactory(case=case)
    client.force_login(intake_worker)
    client.cookies["django_language"] = "ar"
    with translation.override("ar"):
        response = client.post(
            reverse("witnesses:testimony_create", args=[case.reference]),
            new_testimony_data(witness.pk, [], incidents_find="INC-0999"),
            HTTP_ACCEPT_LANGUAGE="ar",
        )
    page = response.content.decode()
    assert response.status_code == 400 and 'dir="rtl"' in page
    assert "INC-0999" in page and "No incident of this case has the reference" not in page


def test_an_item_is_linked_to_an_incident_typed_by_reference(client, case, intake_worker):
    incident = IncidentFactory(case=case, reference="INC-0301")
    item = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=2)),
        case=case,
        original_filename="photo.jpg",
        source="witness",
        acquired_by=intake_worker,
    ).item
    client.force_login(intake_worker)
    client.post(reverse("evidence:media_links", args=[item.pk]), {"incident_find": "inc-0301"})
    assert list(item.incidents.all()) == [incident]
    response = client.post(reverse("evidence:media_links", args=[item.pk]), {"incident_find": "INC-0404"}, follow=True)
    assert "No incident of this case has the reference “INC-0404”." in response.content.decode()
    assert list(item.incidents.all()) == [incident]


def test_the_upload_form_refuses_an_incident_of_another_case_and_stores_nothing(
    client, case, other_case, intake_worker
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    foreign = IncidentFactory(case=other_case)
    client.force_login(intake_worker)
    response = client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {"source": "witness", "files": [SimpleUploadedFile("a.jpg", jpeg_bytes(seed=3))], "incidents": [foreign.pk]},
    )
    assert response.status_code == 400
    assert "That incident is not one of this case’s incidents." in response.content.decode()
    assert MediaItem.objects.count() == 0
