import json
import re
from datetime import datetime

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casework.append_only import AppendOnlyModel
from casework.cases.models import Case
from casework.errors import ConstraintMessagesByField
from casework.incidents.models import Incident
from casework.witnesses.crypto import EncryptedTextField, decrypt_text, encrypt_text

# \Z, not $: SQLite evaluates these with Python re, where $ also matches before a final newline.
SHA256_HEX_PATTERN = r"^[0-9a-f]{64}\Z"


class MediaKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    DOCUMENT = "document", _("Document")


class MediaSource(models.TextChoices):
    WITNESS = "witness", _("From a witness")
    ACTIVIST_MESSAGE = "activist_message", _("Activist message")
    SOCIAL_MEDIA = "social_media", _("Social media")
    FIELD_CAPTURE = "field_capture", _("Field capture")
    OTHER = "other", _("Other")


class ProcessingState(models.TextChoices):
    PENDING = "pending", _("Waiting for processing")
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Processed")
    FAILED = "failed", _("Failed")
    QUARANTINED = "quarantined", _("Quarantined")


class TextExtraction(models.TextChoices):
    """What reading the text of a photo or PDF gave. Every photo and PDF is read; OCR text is kept only when
    Tesseract is confident of it (CASEWORK_OCR_MIN_CONFIDENCE), so that scene photos get no stray letters."""

    NOT_READ = "", _("Not read")
    TEXT_LAYER = "text_layer", _("Text of the PDF")
    OCR = "ocr", _("Read by OCR")
    NO_TEXT = "no_text", _("No text found")
    FAILED = "failed", _("Reading the text failed")


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Not reviewed")
    SUBMITTED = "submitted", _("Submitted for review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


# Types a browser shows or plays by itself: the original of a processed item of these types opens in the page;
# others (HEIC, TIFF, Matroska, AMR...) are downloaded, and their page shows the thumbnail when there is one.
INLINE_MIME_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "video/mp4",
        "video/webm",
        "video/quicktime",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/aac",
        "audio/flac",
        "audio/ogg",
        "audio/wav",
        "audio/x-wav",
        "application/pdf",
    }
)


def original_upload_path(instance: "MediaItem", filename: str) -> str:
    # Named by content hash, never by the sender's file name: names can identify people.
    return f"originals/{instance.case_id}/{instance.sha256[:2]}/{instance.sha256}"


EXHIBIT_DIGITS = 6


def exhibit_number_text(reference: str, sequence: int) -> str:
    return f"{reference}-{sequence:0{EXHIBIT_DIGITS}d}"


def next_exhibit_number(case: Case) -> tuple[int, str]:
    """The next exhibit sequence of `case` and its number (CW-0042-000017). Call inside the transaction that
    saves the item: the case row stays locked until it ends, so two intakes never take the same number.
    Numbers are never reused: items are never deleted (no door deletes evidence; it is withdrawn)."""
    # FOR NO KEY UPDATE (case_lock's), not FOR UPDATE: inserting any row that refers to the case (a custody
    # event, by someone holding the custody chain's lock that this intake waits for next) takes FOR KEY SHARE
    # on the case row, which FOR UPDATE would block: a deadlock.
    from casework.cases.services import case_lock  # here: cases.services imports this module (notifications)

    case_lock(case.pk)
    highest = MediaItem.objects.filter(case=case).aggregate(highest=Max("exhibit_sequence"))["highest"] or 0
    return highest + 1, exhibit_number_text(case.reference, highest + 1)


class EncryptedJSONField(EncryptedTextField):
    """A dict stored as one encrypted JSON document ("" when empty). Like EncryptedTextField, it cannot be
    searched: only `isnull` lookups work."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value is None or value == "":
            return {}
        return json.loads(value)

    def get_prep_value(self, value):
        if not value:
            return ""
        return encrypt_text(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, sort_keys=True)


# Fields that say where a file came from and what its bytes are. Written once at intake, recorded in the
# `received` custody event, and never changed by anyone (manage.py verify_custody compares them).
PROVENANCE_FIELDS = (
    "exhibit_number",
    "sha256",
    "size_bytes",
    "mime_type",
    "kind",
    "source",
    "source_url",
    "acquired_by",
    "acquired_at",
    "original_filename",
)


class MediaItemQuerySet(models.QuerySet):
    def for_list(self) -> "MediaItemQuerySet":
        from casework.witnesses.models import identity_fields_through

        return self.select_related("case", "acquired_by", "witness", "withdrawn_by").defer(
            *identity_fields_through("witness")
        )


class MediaItem(ConstraintMessagesByField, models.Model):
    """An evidence file. The original is written once and never changed; derived files live beside it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="media_items")
    incidents = models.ManyToManyField(Incident, blank=True, related_name="media_items", verbose_name=_("incidents"))
    testimony = models.ForeignKey(
        "witnesses.Testimony",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="media_items",
        verbose_name=_("testimony"),
        help_text=_("The testimony this file records (an interview's audio or video), if any."),
    )
    witness = models.ForeignKey(
        "witnesses.Witness",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="media_items",
        verbose_name=_("witness"),
        help_text=_("The witness who sent or recorded this file; it then follows that witness's consent."),
    )
    # The item's exhibit number, e.g. CW-0042-000017: the case's reference and the item's place in the case's
    # intake order, given at the first save and never changed, so a packet, a report and a page cite the same
    # number. Stored as text, not derived from the case, so it stays the same if the case is renamed.
    exhibit_sequence = models.PositiveIntegerField(_("exhibit sequence"), editable=False)
    exhibit_number = models.CharField(_("exhibit number"), max_length=40, editable=False)
    original = models.FileField(_("original file"), upload_to=original_upload_path, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size_bytes = models.PositiveBigIntegerField(_("size in bytes"))
    mime_type = models.CharField(_("MIME type (sniffed)"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=MediaKind.choices)
    # Encrypted at rest: a sender's file name can name the sender ("Amal_Khalil_video.mp4").
    original_filename = EncryptedTextField(_("original file name"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=MediaSource.choices)
    source_url = models.URLField(_("source URL"), max_length=2000, blank=True)
    acquired_at = models.DateTimeField(_("acquired at"))
    acquired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("acquired by")
    )
    description = models.TextField(_("description"), blank=True)
    is_graphic = models.BooleanField(_("graphic content"), default=False)

    processing_state = models.CharField(
        _("processing state"), max_length=20, choices=ProcessingState.choices, default=ProcessingState.PENDING
    )
    processing_error = models.TextField(_("processing error"), blank=True)
    processing_attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    processing_started_at = models.DateTimeField(_("processing started at"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    # Extracted metadata: the full raw output, and the key fields as filterable columns.
    metadata = models.JSONField(_("extracted metadata"), default=dict, blank=True)
    # Person fields of the embedded metadata (artist, owner, copyright, serial numbers...), kept apart from
    # `metadata` and encrypted at rest like witness identities.
    identifying_metadata = EncryptedJSONField(_("identifying metadata"), default=dict, blank=True, editable=False)
    # Text read from a document photo or PDF (see TextExtraction); searchable, shown on the item page.
    extracted_text = models.TextField(_("extracted text"), blank=True, default="")
    text_extraction = models.CharField(
        _("text extraction"), max_length=12, choices=TextExtraction.choices, blank=True, default=""
    )
    text_extraction_error = models.TextField(_("text extraction error"), blank=True, default="")
    capture_time = models.DateTimeField(_("capture time"), null=True, blank=True)
    # False when the file gives a clock time without its zone: `capture_time` then holds that wall-clock time
    # as if it were UTC, and is shown as local time with "time zone unknown", never as a UTC instant.
    capture_time_zone_known = models.BooleanField(_("capture time zone known"), default=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    device_make = models.CharField(_("device make"), max_length=120, blank=True)
    device_model = models.CharField(_("device model"), max_length=120, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    container = models.CharField(_("container"), max_length=60, blank=True)
    video_codec = models.CharField(_("video codec"), max_length=60, blank=True)
    audio_codec = models.CharField(_("audio codec"), max_length=60, blank=True)
    frame_rate = models.FloatField(_("frame rate"), null=True, blank=True)
    thumbnail = models.FileField(_("thumbnail"), max_length=300, blank=True)
    keyframes = models.JSONField(_("keyframe files"), default=list, blank=True)
    perceptual_hashes = models.JSONField(
        _("perceptual hashes"),
        default=list,
        blank=True,
        help_text=_("One per image; one per keyframe of a video."),
    )

    verification_status = models.CharField(
        _("verification"),
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    verification_notes = models.TextField(_("review notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Evidence is never deleted: a case admin withdraws an item (with a reason, a custody event). A withdrawn
    # item stays listed and stays out of every packet.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("withdrawn by"),
    )
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True, editable=False)

    # The history never copies identifying details (even encrypted copies multiply exposure). The exhibit number
    # never changes, so the history has nothing to keep of it.
    history = HistoricalRecords(
        excluded_fields=["metadata", "original_filename", "identifying_metadata", "exhibit_sequence", "exhibit_number"]
    )
    objects = MediaItemQuerySet.as_manager()

    constraint_fields = {
        "media_sha256_unique_per_case": "sha256",
        "media_exhibit_sequence_unique_per_case": "exhibit_number",
        "media_exhibit_number_unique_per_case": "exhibit_number",
        "media_sha256_format": "sha256",
        "media_not_empty": "size_bytes",
        "media_kind_valid": "kind",
        "media_source_valid": "source",
        "media_processing_state_valid": "processing_state",
        "media_verification_valid": "verification_status",
        "media_text_extraction_valid": "text_extraction",
        "media_latitude_range": "latitude",
        "media_longitude_range": "longitude",
        "media_duration_not_negative": "duration_seconds",
        "media_withdrawal_has_reason": "withdrawal_reason",
    }

    class Meta:
        ordering = ["-acquired_at", "id"]
        verbose_name = _("media item")
        verbose_name_plural = _("media items")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "sha256"],
                name="media_sha256_unique_per_case",
                violation_error_message=_("This exact file is already in the case."),
            ),
            models.UniqueConstraint(
                fields=["case", "exhibit_sequence"],
                name="media_exhibit_sequence_unique_per_case",
                violation_error_message=_("Another item of the case already has this exhibit number."),
            ),
            models.UniqueConstraint(
                fields=["case", "exhibit_number"],
                name="media_exhibit_number_unique_per_case",
                violation_error_message=_("Another item of the case already has this exhibit number."),
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=SHA256_HEX_PATTERN),
                name="media_sha256_format",
                violation_error_message=_("A SHA-256 is 64 lowercase hexadecimal characters."),
            ),
            models.CheckConstraint(
                condition=Q(size_bytes__gt=0), name="media_not_empty", violation_error_message=_("The file is empty.")
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MediaKind.values),
                name="media_kind_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(source__in=MediaSource.values),
                name="media_source_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(processing_state__in=ProcessingState.values),
                name="media_processing_state_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(verification_status__in=VerificationStatus.values),
                name="media_verification_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(text_extraction__in=TextExtraction.values),
                name="media_text_extraction_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="media_latitude_range",
                violation_error_message=_("The latitude must be between -90 and 90."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="media_longitude_range",
                violation_error_message=_("The longitude must be between -180 and 180."),
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=True) | Q(duration_seconds__gte=0),
                name="media_duration_not_negative",
                violation_error_message=_("A duration cannot be negative."),
            ),
            # Two-person rule: whoever acquired an item does not review it.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=models.F("acquired_by")),
                name="media_reviewer_is_not_acquirer",
                violation_error_message=_("Someone other than the person who added this item must review it."),
            ),
            models.CheckConstraint(
                condition=~Q(verification_status__in=["verified", "rejected"]) | Q(verified_by__isnull=False),
                name="media_decision_has_reviewer",
                violation_error_message=_("A review decision needs its reviewer."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdrawal_reason="")
                | (Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False) & ~Q(withdrawal_reason="")),
                name="media_withdrawal_has_reason",
                violation_error_message=_("A withdrawal needs who withdrew the item, when, and why."),
            ),
        ]
        indexes = [
            # The media list's order within a case: without it, a case of 50,000 items is sorted on every page.
            models.Index(fields=["case", "-acquired_at", "id"], name="media_case_acquired_idx"),
            models.Index(fields=["processing_state"], name="media_processing_state_idx"),
            models.Index(fields=["capture_time"], name="media_capture_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.exhibit_number or self.sha256[:12]} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        # Like the primary key, the exhibit number is the row's own from its first save, whichever door
        # created it; nothing ever changes it.
        if self._state.adding and self.exhibit_sequence is None:
            with transaction.atomic():
                self.exhibit_sequence, self.exhibit_number = next_exhibit_number(self.case)
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def opens_in_page(self) -> bool:
        """Whether the page shows or plays the original itself. Only after processing: a file that is still
        waiting, failed or was quarantined is never handed to a browser's decoder."""
        return self.processing_state == ProcessingState.DONE and self.mime_type in INLINE_MIME_TYPES

    @property
    def extracted_paragraphs(self) -> list[str]:
        """The extracted text's paragraphs, each shown with its own direction (Arabic and English mix)."""
        return [paragraph.strip() for paragraph in re.split(r"\n\s*\n", self.extracted_text) if paragraph.strip()]

    @property
    def is_pdf(self) -> bool:
        return self.mime_type == "application/pdf"

    @property
    def capture_wall_clock(self) -> datetime | None:
        """The capture time as the device's clock showed it (naive) when its zone is unknown, else None."""
        if self.capture_time is None or self.capture_time_zone_known:
            return None
        return self.capture_time.replace(tzinfo=None)


class MediaArrival(ConstraintMessagesByField, AppendOnlyModel):
    """One arrival of a file's bytes: the first intake and every later copy of the same file, from whichever
    source, so a second source's URL, sender and file name are kept. Written once, by intake only."""

    item = models.ForeignKey(MediaItem, on_delete=models.PROTECT, related_name="arrivals", editable=False)
    source = models.CharField(_("source"), max_length=20, choices=MediaSource.choices, editable=False)
    source_url = models.URLField(_("source URL"), max_length=2000, blank=True, editable=False)
    original_filename = EncryptedTextField(_("original file name"), blank=True, editable=False)
    acquired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("acquired by"),
    )
    acquired_at = models.DateTimeField(_("acquired at"), editable=False)
    witness = models.ForeignKey(
        "witnesses.Witness",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="media_arrivals",
        editable=False,
        verbose_name=_("witness"),
    )

    constraint_fields = {
        "media_arrival_source_valid": "source",
    }

    class Meta:
        ordering = ["acquired_at", "id"]
        verbose_name = _("arrival of a file")
        verbose_name_plural = _("arrivals of files")
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=MediaSource.values),
                name="media_arrival_source_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} ← {self.get_source_display()} {self.acquired_at:%Y-%m-%d %H:%M}"


class DuplicateStatus(models.TextChoices):
    POSSIBLE = "possible", _("Possible duplicate")
    CONFIRMED = "confirmed", _("Confirmed duplicate")
    DISMISSED = "dismissed", _("Not a duplicate")


HASH_BANDS = 4
HASH_BAND_BITS = 16


def hash_bands(value: int) -> list[int]:
    """The 64-bit hash (unsigned) cut into HASH_BANDS bands of HASH_BAND_BITS bits, most significant first."""
    mask = (1 << HASH_BAND_BITS) - 1
    return [(value >> (HASH_BAND_BITS * (HASH_BANDS - 1 - index))) & mask for index in range(HASH_BANDS)]


class MediaPerceptualHash(models.Model):
    """One 64-bit perceptual hash of an item (one per image, one per keyframe of a video), as an integer and
    cut into four 16-bit bands, each indexed with the case: the near-duplicate search looks up the few items
    sharing a band (or nearly) instead of comparing every item of the case. Written with the item's hashes
    (MediaItem.perceptual_hashes, which stays the record) in the same transaction."""

    item = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="hash_index")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    value = models.BigIntegerField(help_text="The hash's 64 bits as a signed integer.")
    band0 = models.PositiveIntegerField()
    band1 = models.PositiveIntegerField()
    band2 = models.PositiveIntegerField()
    band3 = models.PositiveIntegerField()

    class Meta:
        ordering = ["item", "id"]
        verbose_name = _("perceptual hash")
        verbose_name_plural = _("perceptual hashes")
        # The item and value in the key too: the search reads them from the index alone.
        indexes = [
            models.Index(fields=["case", f"band{index}", "item", "value"], name=f"media_hash_band{index}")
            for index in range(4)
        ]

    def __str__(self) -> str:
        return f"{self.value & (2**64 - 1):016x}"


class NearDuplicate(ConstraintMessagesByField, models.Model):
    """Two items of a case whose perceptual hashes are close: a reviewer confirms or dismisses."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="+")
    distance = models.PositiveSmallIntegerField(_("hash distance"))
    status = models.CharField(
        _("status"), max_length=20, choices=DuplicateStatus.choices, default=DuplicateStatus.POSSIBLE
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)

    constraint_fields = {
        "near_duplicate_status_valid": "status",
    }

    class Meta:
        ordering = ["distance", "id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            # Each pair once, smaller id first.
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")),
                name="near_duplicate_ordered_pair",
                violation_error_message=_("A pair names the older item first."),
            ),
            models.UniqueConstraint(
                fields=["first", "second"],
                name="near_duplicate_pair_unique",
                violation_error_message=_("These two items are already paired."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=DuplicateStatus.values),
                name="near_duplicate_status_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first} ~ {self.second} ({self.distance})"


class CustodyAction(models.TextChoices):
    RECEIVED = "received", _("Received")
    DUPLICATE_RECEIVED = "duplicate_received", _("Same file received again")
    METADATA_EXTRACTED = "metadata_extracted", _("Metadata extracted")
    PROCESSING_FAILED = "processing_failed", _("Processing failed")
    VIEWED = "viewed", _("Original viewed")
    DOWNLOADED = "downloaded", _("Original downloaded")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Unlinked")
    SUBMITTED = "submitted", _("Submitted for review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    EXPORTED = "exported", _("Exported in a bundle")
    EDITED = "edited", _("Details edited")
    WITHDRAWN = "withdrawn", _("Withdrawn from use")
    BUNDLE_DOWNLOADED = "bundle_downloaded", _("Bundle downloaded")


class CustodyEvent(ConstraintMessagesByField, AppendOnlyModel):
    """One entry of the append-only, hash-chained custody log.

    `event_hash` is the SHA-256 of the event's canonical form, which includes `previous_hash`, so editing
    or deleting any event breaks every later link. Written only by evidence.custody.custody_record.
    """

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    occurred_at = models.DateTimeField(_("when"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    actor_label = models.CharField(_("who"), max_length=150, editable=False)
    action = models.CharField(_("what"), max_length=30, choices=CustodyAction.choices, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, related_name="+", editable=False)
    # Plain references, not foreign keys: a cascade must never delete or rewrite custody history.
    object_type = models.CharField(_("object type"), max_length=60, editable=False)
    object_id = models.CharField(_("object id"), max_length=60, editable=False)
    details = models.JSONField(_("details"), default=dict, editable=False)
    previous_hash = models.CharField(_("previous event hash"), max_length=64, editable=False)
    event_hash = models.CharField(_("event hash"), max_length=64, unique=True, editable=False)

    constraint_fields = {
        "custody_action_valid": "action",
        "custody_hash_format": "event_hash",
        "custody_previous_hash_format": "previous_hash",
    }

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=CustodyAction.values),
                name="custody_action_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(event_hash__regex=SHA256_HEX_PATTERN),
                name="custody_hash_format",
                violation_error_message=_("A SHA-256 is 64 lowercase hexadecimal characters."),
            ),
            models.CheckConstraint(
                condition=Q(previous_hash__regex=SHA256_HEX_PATTERN),
                name="custody_previous_hash_format",
                violation_error_message=_("A SHA-256 is 64 lowercase hexadecimal characters."),
            ),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="custody_object_idx")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"
