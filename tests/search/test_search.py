"""Case-wide search: what it finds, how Arabic and English are matched, and what it never shows.

Runs on both databases: on PostgreSQL through the tsvector/trigram index, on SQLite through the documented
substring fallback (selectors.py); tests marked `postgresql_only` need what only PostgreSQL has.
"""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from casework.evidence.services import media_update
from casework.incidents.models import Governorate, IncidentType
from casework.incidents.services import incident_write, victim_delete, victim_write
from casework.search.models import RecordKind, SearchEntry
from casework.search.selectors import SearchFilters, highlight, search_entries, search_hits
from casework.search.services import search_index
from casework.witnesses import services as witness_services
from tests.factories import IncidentFactory, MediaItemFactory, TestimonyFactory

PSEUDONYMS = itertools.count(1)
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram similarity is PostgreSQL's")


def found(case, user, q="", **filters):
    results = search_entries(case=case, user=user, filters=SearchFilters(q=q, **filters))
    entries = results.rows
    return {(entry["kind"], entry["object_id"]) for entry in entries}


def new_incident(case, actor, **values):
    return incident_write(
        case=case,
        actor=actor,
        values={
            "reference": values.pop("reference", "INC-1"),
            "title": values.pop("title", "Airstrike"),
            "start_time": values.pop("start_time", timezone.now() - dt.timedelta(days=3)),
            "governorate": values.pop("governorate", Governorate.objects.get(code="idlib", case=None)),
            "incident_type": IncidentType.objects.get(code="airstrike", case=None),
            **values,
        },
    )


def new_testimony(case, actor, text, *, incident, translations=None, **values):
    witness = values.pop("witness", None) or witness_services.witness_write(
        case=case, actor=actor, values={"pseudonym": f"W-{next(PSEUDONYMS):03d}", "relationship": "eyewitness"}
    )
    return witness_services.testimony_write(
        case=case,
        actor=actor,
        values={
            "witness": witness,
            "interview_date": values.pop("interview_date", dt.date(2017, 9, 20)),
            "method": "phone",
            "language": "ar",
            "original_text": text,
        },
        incidents=[incident],
        translations=translations,
    )


@pytest.fixture
def incident(case, intake_worker):
    return new_incident(case, intake_worker, reference="INC-7", title="Airstrike on the market entrance")


# Each fold of normalise_for_matching, written one way in the record and the other in the query.
FOLDS = [
    ("alef with hamza above", "أحمد", "احمد"),
    ("alef with hamza below", "إسعاف", "اسعاف"),
    ("alef with madda", "آلام", "الام"),
    ("ta marbuta and ha", "الطائرة", "الطائره"),
    ("alef maqsura and ya", "مستشفى", "مستشفي"),
    ("diacritics", "قُتِلَ", "قتل"),
    ("tatweel", "الســـوق", "السوق"),
    ("Arabic-Indic digits", "٣٠", "30"),
    ("letter case", "HOSPITAL", "hospital"),
]


@pytest.mark.parametrize(("fold", "written", "typed"), FOLDS, ids=[fold[0] for fold in FOLDS])
def test_each_arabic_fold_matches_both_ways(case, intake_worker, incident, fold, written, typed):
    testimony = new_testimony(case, intake_worker, f"رأيت {written} أمس", incident=incident)
    assert (RecordKind.TESTIMONY, testimony.pk) in found(case, intake_worker, typed)
    # And the other way round: what the query folds, the index folded too.
    other = new_testimony(case, intake_worker, f"كان {typed} هناك", incident=incident)
    assert (RecordKind.TESTIMONY, other.pk) in found(case, intake_worker, written)


def test_english_stems_match_plural_and_singular(case, intake_worker, incident):
    assert (RecordKind.INCIDENT, incident.pk) in found(case, intake_worker, "entrances")
    assert (RecordKind.INCIDENT, incident.pk) in found(case, intake_worker, "market")
    assert not found(case, intake_worker, "hospital")


def test_phrase_in_quotes_must_appear_together(case, intake_worker, incident):
    assert (RecordKind.INCIDENT, incident.pk) in found(case, intake_worker, '"market entrance"')
    assert not found(case, intake_worker, '"entrance market"')


def test_every_kind_is_searchable_and_kept_current_by_its_service(case, intake_worker, case_admin, incident):
    victim = victim_write(actor=intake_worker, incident=incident, values={"name": "Khaled Barakat", "status": "killed"})
    testimony = new_testimony(
        case,
        intake_worker,
        "سمعت صوت الطائرة",
        incident=incident,
        translations=[{"language": "en", "text": "I heard the helicopter"}],
    )
    item = MediaItemFactory(case=case, acquired_by=intake_worker)
    media_update(item=item, actor=intake_worker, description="Crater beside the bakery")

    assert found(case, intake_worker, "Barakat") == {(RecordKind.VICTIM, victim.pk)}
    assert found(case, intake_worker, "helicopter") == {(RecordKind.TESTIMONY, testimony.pk)}
    assert found(case, intake_worker, "bakery") == {(RecordKind.MEDIA, item.pk)}

    # Edits replace the indexed text; deletions remove it.
    incident_write(case=case, actor=intake_worker, incident=incident, expected_version=incident.version,
                   values={"title": "Shelling near the mosque"})  # fmt: skip
    assert not found(case, intake_worker, "entrance")
    assert (RecordKind.INCIDENT, incident.pk) in found(case, intake_worker, "mosque")
    victim_delete(victim=victim, actor=intake_worker)
    assert not found(case, intake_worker, "Barakat")
    assert not SearchEntry.objects.filter(kind=RecordKind.VICTIM, object_id=victim.pk).exists()


def test_witness_identities_and_file_names_never_match(case, intake_worker, incident):
    witness = witness_services.witness_write(
        case=case,
        actor=intake_worker,
        values={
            "pseudonym": "W-777",
            "relationship": "eyewitness",
            "real_name": "Zainab Qassemi",
            "phone": "+963 944 123456",
            "address": "Saraqib, Hamidiyeh street",
        },
    )
    new_testimony(case, intake_worker, "رأيت القصف", incident=incident, witness=witness)
    item = MediaItemFactory(case=case, acquired_by=intake_worker, witness=witness, original_filename="Zainab.mp4")
    search_index(kind=RecordKind.MEDIA, ids=[item.pk])
    for secret in ("Zainab", "Qassemi", "944123456", "944 123456", "Hamidiyeh", "W-777"):
        assert not found(case, intake_worker, secret), secret
    assert not SearchEntry.objects.filter(document__contains="zainab").exists()


def test_outsider_finds_nothing_of_another_case(case, outsider, other_case, intake_worker, incident, client, api):
    assert found(case, intake_worker, "market")
    # The selectors only search the case asked for; the page and the API refuse the case itself.
    assert not found(other_case, outsider, "market")
    client.force_login(outsider)
    assert client.get(reverse("search:search", args=[case.reference]), {"q": "market"}).status_code == 404
    api.force_authenticate(outsider)
    assert api.get(reverse("api:search", args=[case.reference]), {"q": "market"}).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(case, client):
    response = client.get(reverse("search:search", args=[case.reference]), {"q": "market"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_filters_narrow_by_kind_date_governorate_status_verification_gps(case, intake_worker, reviewer, incident):
    aleppo = Governorate.objects.get(code="aleppo", case=None)
    elsewhere = new_incident(
        case, intake_worker, reference="INC-8", title="Airstrike on a bakery", governorate=aleppo,
        start_time=timezone.now() - dt.timedelta(days=400), latitude=Decimal("36.2"), longitude=Decimal("37.1"),
    )  # fmt: skip
    testimony = new_testimony(case, intake_worker, "airstrike at dawn", incident=elsewhere)
    item = MediaItemFactory(
        case=case,
        acquired_by=intake_worker,
        verification_status="verified",
        verified_by=reviewer,
        verified_at=timezone.now(),
    )
    media_update(item=item, actor=intake_worker, description="airstrike aftermath", incidents=[elsewhere])

    everything = found(case, intake_worker, "airstrike")
    assert everything == {
        (RecordKind.INCIDENT, incident.pk),
        (RecordKind.INCIDENT, elsewhere.pk),
        (RecordKind.TESTIMONY, testimony.pk),
        (RecordKind.MEDIA, item.pk),
    }
    assert found(case, intake_worker, "airstrike", kinds=(RecordKind.MEDIA,)) == {(RecordKind.MEDIA, item.pk)}
    assert found(case, intake_worker, "airstrike", governorate=aleppo) == everything - {
        (RecordKind.INCIDENT, incident.pk)
    }
    recent = timezone.localdate() - dt.timedelta(days=10)
    assert found(case, intake_worker, "airstrike", date_from=recent, kinds=(RecordKind.INCIDENT,)) == {
        (RecordKind.INCIDENT, incident.pk)
    }
    assert found(case, intake_worker, "airstrike", status="draft") == {(RecordKind.TESTIMONY, testimony.pk)}
    assert found(case, intake_worker, "airstrike", status="verified") == set()
    assert found(case, intake_worker, "airstrike", verification="verified") == {(RecordKind.MEDIA, item.pk)}
    assert found(case, intake_worker, "airstrike", has_gps=True) == {(RecordKind.INCIDENT, elsewhere.pk)}
    # Filters alone list records without a text.
    assert found(case, intake_worker, governorate=aleppo, kinds=(RecordKind.INCIDENT,)) == {
        (RecordKind.INCIDENT, elsewhere.pk)
    }


def test_empty_search_finds_nothing(case, intake_worker, incident):
    assert found(case, intake_worker, "") == set()
    assert found(case, intake_worker, "   ") == set()


@postgresql_only
def test_victim_name_with_a_spelling_variant_is_found_by_trigram_similarity(case, intake_worker, incident):
    victim = victim_write(
        actor=intake_worker, incident=incident, values={"name": "Mohammed Al-Hassan", "status": "killed"}
    )
    arabic = victim_write(
        actor=intake_worker, incident=incident, values={"name": "محمد عبد الرحمن", "status": "killed"}
    )
    assert (RecordKind.VICTIM, victim.pk) in found(case, intake_worker, "Mohamad Alhasan")
    assert (RecordKind.VICTIM, arabic.pk) in found(case, intake_worker, "محمد عبدالرحمن")


def test_snippet_marks_the_match_and_escapes_the_rest():
    text = "<b>Before</b> " + "word " * 40 + "the Market ENTRANCES were hit; " + "more " * 40
    snippet = highlight(text, phrases=[], words=["entrance"])
    assert "<mark>ENTRANCES</mark>" in snippet
    assert "<b>" not in snippet and snippet.startswith("…")
    arabic = highlight("سقطت الطائرة قرب السوق", phrases=[], words=["الطايره"[:0] + "الطائره"])
    assert "<mark>الطائرة</mark>" in arabic


def test_hits_link_to_the_records_and_show_pseudonyms_only(case, intake_worker, incident):
    testimony = new_testimony(case, intake_worker, "the market entrance was full", incident=incident)
    filters = SearchFilters(q="entrance")
    hits = search_hits(
        case=case, entries=search_entries(case=case, user=intake_worker, filters=filters).rows, filters=filters
    )
    by_kind = {hit.kind: hit for hit in hits}
    assert by_kind[RecordKind.TESTIMONY].url == reverse(
        "witnesses:testimony_detail", args=[case.reference, testimony.pk]
    )
    assert testimony.witness.pseudonym in by_kind[RecordKind.TESTIMONY].label
    assert "<mark>entrance</mark>" in by_kind[RecordKind.INCIDENT].snippet


def test_search_page_shows_highlighted_hits(case, intake_worker, incident, client):
    client.force_login(intake_worker)
    response = client.get(reverse("search:search", args=[case.reference]), {"q": "ENTRANCE"})
    assert response.status_code == 200
    assert "<mark>entrance</mark>" in response.content.decode()
    assert reverse("incidents:incident_detail", args=[case.reference, incident.pk]) in response.content.decode()


def test_bad_filter_is_a_clear_error(case, intake_worker, client, api):
    client.force_login(intake_worker)
    response = client.get(
        reverse("search:search", args=[case.reference]), {"q": "x", "date_from": "2020-02-02", "date_to": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    api.force_authenticate(intake_worker)
    response = api.get(reverse("api:search", args=[case.reference]), {"q": "x", "kind": "witness"})
    assert response.status_code == 400 and "kind" in response.json()


def test_api_returns_hits_with_snippets(case, intake_worker, incident, api):
    api.force_authenticate(intake_worker)
    response = api.get(reverse("api:search", args=[case.reference]), {"q": "entrance", "kind": "incident"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    hit = body["results"][0]
    assert hit["kind"] == "incident" and hit["id"] == incident.pk
    assert "<mark>entrance</mark>" in hit["snippet"]


def test_reindex_command_fills_the_index_for_records_written_without_it(case, intake_worker):
    from django.core.management import call_command

    incident = IncidentFactory(case=case, title="Barrel bomb on the clinic")
    TestimonyFactory(case=case, original_text="القصف على العيادة")
    assert not found(case, intake_worker, "clinic")
    call_command("search_reindex", "--case", case.reference, stdout=open("/dev/null", "w"))
    assert (RecordKind.INCIDENT, incident.pk) in found(case, intake_worker, "clinic")
    assert len(found(case, intake_worker, "العياده")) == 1


def test_victims_added_in_bulk_by_an_import_are_searchable(case, intake_worker, incident):
    from casework.incidents.models import Victim
    from casework.incidents.services import victims_add

    victims_add(
        incident_victims=[
            (incident, Victim(name="Huda Darwish", status="killed", sex="female", age_band="adult")),
            (incident, Victim(name="هدى درويش", status="killed", sex="female", age_band="adult")),
        ],
        actor=intake_worker,
    )
    assert {kind for kind, _ in found(case, intake_worker, "Darwish")} == {RecordKind.VICTIM}
    assert len(found(case, intake_worker, "درويش")) == 1


@pytest.mark.django_db
def test_text_read_from_a_document_photo_is_found_by_search(case, intake_worker):
    import io

    from casework.evidence.samples import document_photo_bytes
    from casework.evidence.services import media_ingest_stream, media_process

    item = media_ingest_stream(
        stream=io.BytesIO(document_photo_bytes()),
        case=case,
        original_filename="page.jpg",
        source="field_capture",
        acquired_by=intake_worker,
    ).item
    assert found(case, intake_worker, "entrance") == set()

    media_process(item_id=item.pk)

    item.refresh_from_db()
    assert item.text_extraction == "ocr", item.text_extraction_error
    assert found(case, intake_worker, "hospital entrance") == {(RecordKind.MEDIA, item.pk)}
    assert found(case, intake_worker, "السوق") == {(RecordKind.MEDIA, item.pk)}
