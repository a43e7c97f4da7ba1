"""Text read from document photos and PDFs: OCR (Tesseract, Arabic and English) or a PDF's own text layer,
in the media sandbox, kept only when confident, shown on the item page; a failure is recorded once."""

import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from casework.evidence import services
from casework.evidence.models import CustodyEvent, MediaItem
from casework.evidence.processing import ProbeFailed, TextResult
from casework.evidence.samples import document_photo_bytes, jpeg_bytes, pdf_bytes, scanned_pdf_bytes
from casework.evidence.services import media_ingest_stream, media_process, text_worth_keeping
from tests.evidence.test_processing import processed
from tests.factories import CaseFactory, MembershipFactory, UserFactory


def ingest(case, user, content: bytes, name: str) -> MediaItem:
    return media_ingest_stream(
        stream=io.BytesIO(content), case=case, original_filename=name, source="field_capture", acquired_by=user
    ).item


def text_layer_pdf() -> bytes:
    from weasyprint import HTML

    html = (
        "<html><body><p>Witness statement about the bakery queue</p>"
        '<p dir="rtl" lang="ar">طابور المخبز في الصباح</p></body></html>'
    )
    return HTML(string=html).write_pdf()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_reads_arabic_and_english_from_a_document_photo_and_the_page_shows_it(celery_worker_process, client):
    case = CaseFactory(reference="CW-0815")
    user = UserFactory(username="ocr_researcher")
    MembershipFactory(case=case, user=user, role="intake")
    with transaction.atomic():
        item = ingest(case, user, document_photo_bytes(), "page.jpg")
    item = processed(item)
    assert item.processing_state == "done", item.processing_error
    assert item.text_extraction == "ocr", item.text_extraction_error
    assert "Hospital entrance damaged" in item.extracted_text
    assert "مدخل السوق الشعبي" in item.extracted_text
    event = CustodyEvent.objects.get(object_id=str(item.pk), action="metadata_extracted")
    assert event.details["text"] == "ocr" and event.details["text_characters"] == len(item.extracted_text)

    client.force_login(user)
    for language in ("ar", "en"):  # English last: the request leaves its language active in this thread
        page = client.get(reverse("evidence:media_detail", args=[item.pk]), HTTP_ACCEPT_LANGUAGE=language)
        html = page.content.decode()
        assert 'id="extracted-text"' in html
        assert '<p dir="auto">مدخل السوق الشعبي</p>' in html
        assert "Report 2017 Idlib" in html


@pytest.mark.django_db
def test_scanned_pdf_is_read_by_ocr(case, intake_worker):
    item = ingest(case, intake_worker, scanned_pdf_bytes(), "scan.pdf")
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert (item.kind, item.processing_state, item.text_extraction) == ("document", "done", "ocr")
    assert "Hospital entrance damaged" in item.extracted_text
    assert "السوق" in item.extracted_text


@pytest.mark.django_db
def test_pdf_with_a_text_layer_uses_it_without_ocr(case, intake_worker):
    item = ingest(case, intake_worker, text_layer_pdf(), "statement.pdf")
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.text_extraction == "text_layer", item.text_extraction_error
    assert "Witness statement about the bakery queue" in item.extracted_text
    assert "طابور المخبز" in item.extracted_text


@pytest.mark.django_db
def test_photo_without_text_keeps_no_text(case, intake_worker, client):
    item = ingest(case, intake_worker, jpeg_bytes(seed=41), "street.jpg")
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert (item.processing_state, item.text_extraction, item.extracted_text) == ("done", "no_text", "")
    client.force_login(intake_worker)
    page = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    assert "No text was read with enough confidence." in page


@pytest.mark.django_db
def test_unreadable_pdf_fails_its_text_once_and_is_still_processed(case, intake_worker, client):
    damaged = pdf_bytes(seed=3)[:400]  # still sniffed as a PDF, but no reader can open it
    item = ingest(case, intake_worker, damaged, "damaged.pdf")
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.kind == "document"
    if item.processing_state != "done":
        pytest.skip(f"the metadata step already refused this file: {item.processing_error}")
    assert item.text_extraction == "failed"
    assert item.text_extraction_error and "/" not in item.text_extraction_error  # no server path
    attempts = item.processing_attempts
    media_process(item_id=item.pk)  # a redelivered task reads nothing again
    item.refresh_from_db()
    assert (item.text_extraction, item.processing_attempts) == ("failed", attempts)
    client.force_login(intake_worker)
    page = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    assert escape(item.text_extraction_error) in page


@pytest.mark.django_db
def test_ocr_timeout_is_recorded_on_the_item_not_retried(case, intake_worker, monkeypatch):
    def too_slow(*args, **kwargs):
        raise ProbeFailed.of("timeout", seconds=60)

    monkeypatch.setattr(services, "extract_text", too_slow)
    item = ingest(case, intake_worker, document_photo_bytes(), "page.jpg")
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert (item.processing_state, item.text_extraction) == ("done", "failed")
    assert "60 seconds" in item.text_extraction_error
    assert item.processing_attempts == 1


def read(method: str, *, confidence: float | None, words: int) -> TextResult:
    return TextResult(text="some words here", method=method, confidence=confidence, words=words, pages=1, pages_read=1)


def test_ocr_text_is_kept_only_when_confident(settings):
    settings.CASEWORK_OCR_MIN_CONFIDENCE = 60
    assert text_worth_keeping(read("ocr", confidence=60, words=3)) == "some words here"
    assert text_worth_keeping(read("ocr", confidence=59.9, words=30)) == ""
    assert text_worth_keeping(read("ocr", confidence=95, words=2)) == ""
    assert text_worth_keeping(read("text_layer", confidence=None, words=1)) == "some words here"
