"""What text of each kind of record is searchable: the one list to change when a record gains searchable text.

Each builder takes a queryset of one kind and yields (record, case_id, body) with `body` the searchable text
as written, parts separated by blank lines. Identity fields are never read here (see models.py).

A media item's text is the fields in MEDIA_TEXT_FIELDS; the item is re-indexed when it is written
(`media_update`, intake) and when its processing ends (`media_process`), so a text the processing step stores
on the item (the OCR helper's `extracted_text`) becomes searchable by adding its field name to that tuple.
"""

from collections.abc import Callable, Iterable, Iterator

from django.db.models import Prefetch, QuerySet

from casework.captures.models import Capture
from casework.evidence.models import MediaItem
from casework.incidents.models import Incident, Victim
from casework.search.models import RecordKind
from casework.witnesses.models import Testimony, TestimonyTranslation

# Not `original_filename`: encrypted at rest because a sender's file name can name the sender.
MEDIA_TEXT_FIELDS: tuple[str, ...] = ("exhibit_number", "description", "extracted_text")
# A capture's page title and the posting's own description (from its info JSON), the address and the note.
CAPTURE_TEXT_FIELDS: tuple[str, ...] = ("title", "url", "final_url", "note")
INCIDENT_TEXT_FIELDS: tuple[str, ...] = ("reference", "title", "description", "locality", "district")


def _joined(parts: Iterable[str]) -> str:
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def incidents(queryset: QuerySet) -> Iterator[tuple[Incident, int, str]]:
    fields = ["case_id", *INCIDENT_TEXT_FIELDS, "governorate__name", "governorate__name_ar"]
    for incident in queryset.select_related("governorate").only(*fields):
        governorate = incident.governorate
        place = [governorate.name, governorate.name_ar] if governorate else []
        yield incident, incident.case_id, _joined([*(getattr(incident, name) for name in INCIDENT_TEXT_FIELDS), *place])


def victims(queryset: QuerySet) -> Iterator[tuple[Victim, int, str]]:
    for victim in queryset.select_related("incident").only("name", "incident__case_id"):
        yield victim, victim.incident.case_id, _joined([victim.name])


def testimonies(queryset: QuerySet) -> Iterator[tuple[Testimony, int, str]]:
    translations = Prefetch("translations", queryset=TestimonyTranslation.objects.only("testimony_id", "text"))
    for testimony in queryset.only("case_id", "original_text").prefetch_related(translations):
        texts = [testimony.original_text, *(translation.text for translation in testimony.translations.all())]
        yield testimony, testimony.case_id, _joined(texts)


def media(queryset: QuerySet) -> Iterator[tuple[MediaItem, int, str]]:
    for item in queryset.only("case_id", *MEDIA_TEXT_FIELDS):
        yield item, item.case_id, _joined(getattr(item, name) for name in MEDIA_TEXT_FIELDS)


def captures(queryset: QuerySet) -> Iterator[tuple[Capture, int, str]]:
    for capture in queryset.only("case_id", "media_info", *CAPTURE_TEXT_FIELDS):
        info = capture.media_info if isinstance(capture.media_info, dict) else {}
        description = info.get("description")
        texts = [*(getattr(capture, name) for name in CAPTURE_TEXT_FIELDS), str(description or "")]
        yield capture, capture.case_id, _joined(texts)


BUILDERS: dict[str, tuple[type, Callable[[QuerySet], Iterator]]] = {
    RecordKind.INCIDENT: (Incident, incidents),
    RecordKind.VICTIM: (Victim, victims),
    RecordKind.TESTIMONY: (Testimony, testimonies),
    RecordKind.MEDIA: (MediaItem, media),
    RecordKind.CAPTURE: (Capture, captures),
}
