from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casework.captures.fetching import FetchFailure
from casework.cases.models import Case
from casework.errors import ConstraintMessagesByField
from casework.evidence.models import SHA256_HEX_PATTERN, MediaItem
from casework.incidents.models import Incident


class CaptureState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Capturing")
    DONE = "done", pgettext_lazy("capture state", "Captured")
    FAILED = "failed", _("Failed")


class FailureReason(models.TextChoices):
    """Why a capture failed: each reason a fetch gives (FetchFailure, which fetching.describe explains), and the
    capture's own."""

    NOT_FOUND = FetchFailure.NOT_FOUND, _("Not found")
    TIMED_OUT = FetchFailure.TIMED_OUT, _("Timed out")
    TOO_LARGE = FetchFailure.TOO_LARGE, _("Too large")
    REFUSED_ADDRESS = FetchFailure.REFUSED_ADDRESS, _("Refused address")
    UNSUPPORTED = FetchFailure.UNSUPPORTED, _("Unsupported")
    UNREACHABLE = FetchFailure.UNREACHABLE, _("Unreachable")
    HTTP_ERROR = FetchFailure.HTTP_ERROR, _("The source answered with an error")
    GAVE_UP = "gave_up", _("Gave up after repeated attempts")
    FAILED = "failed", _("The capture failed unexpectedly")


class SourceStatus(models.TextChoices):
    UNCHECKED = "unchecked", _("Not re-checked yet")
    ONLINE = "online", _("Still online")
    CHANGED = "changed", _("Changed")
    GONE = "gone", _("Gone")


class CaptureQuerySet(models.QuerySet):
    def for_list(self) -> "CaptureQuerySet":
        return self.select_related("case", "requested_by", "media_item")


class Capture(ConstraintMessagesByField, models.Model):
    """One URL preserved for a case: what was fetched, from where and when, and the artefacts that keep it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="captures")
    url = models.URLField(_("address"), max_length=2000)
    incidents = models.ManyToManyField(Incident, blank=True, related_name="captures", verbose_name=_("incidents"))
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    state = models.CharField(_("state"), max_length=20, choices=CaptureState.choices, default=CaptureState.QUEUED)
    progress_message = models.CharField(_("progress"), max_length=300, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=20, choices=FailureReason.choices, blank=True)
    failure_detail = models.TextField(_("failure detail"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    captured_at = models.DateTimeField(_("captured at"), null=True, blank=True)
    final_url = models.URLField(_("final address"), max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    http_headers = models.JSONField(_("HTTP headers"), default=list, blank=True)
    resolved_ip = models.GenericIPAddressField(_("resolved IP address"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    tool_versions = models.JSONField(_("tool versions"), default=dict, blank=True)
    media_info = models.JSONField(_("media information"), default=dict, blank=True)
    media_item = models.ForeignKey(
        MediaItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="captures",
        verbose_name=_("media item"),
    )
    # Whether this capture stored the media item, or found the same file already in the case and linked it.
    media_was_new = models.BooleanField(_("media stored by this capture"), default=False)
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64, blank=True)
    # RFC 3161: the exact bytes timestamped (the manifest hash and the custody head, as JSON), the authority's
    # time, or why no token was obtained. The token itself is the TIMESTAMP artefact.
    timestamp_statement = models.TextField(_("timestamped statement"), blank=True, editable=False)
    timestamped_at = models.DateTimeField(_("trusted timestamp"), null=True, blank=True)
    timestamp_authority = models.URLField(_("timestamping authority"), max_length=500, blank=True)
    timestamp_error = models.TextField(_("timestamp problem"), blank=True)

    # Watching: what the latest re-check found, and the fingerprint it compares against.
    source_status = models.CharField(
        _("source status"), max_length=20, choices=SourceStatus.choices, default=SourceStatus.UNCHECKED
    )
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    gone_since = models.DateTimeField(_("gone since"), null=True, blank=True)
    content_fingerprint = models.CharField(_("content fingerprint"), max_length=64, blank=True, editable=False)

    objects = CaptureQuerySet.as_manager()

    constraint_fields = {
        "capture_state_valid": "state",
        "capture_source_status_valid": "source_status",
        "capture_failure_has_reason": "failure_reason",
    }

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("capture")
        verbose_name_plural = _("captures")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CaptureState.values),
                name="capture_state_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(source_status__in=SourceStatus.values),
                name="capture_source_status_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=~Q(state=CaptureState.FAILED) | ~Q(failure_reason=""),
                name="capture_failure_has_reason",
                violation_error_message=_("A failed capture needs its reason."),
            ),
        ]
        indexes = [
            models.Index(fields=["case", "-requested_at"], name="capture_case_requested_idx"),
            models.Index(fields=["state", "last_checked_at"], name="capture_watch_idx"),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_finished(self) -> bool:
        return self.state in (CaptureState.DONE, CaptureState.FAILED)


class ArtefactKind(models.TextChoices):
    WARC = "warc", _("Web archive (WARC)")
    SCREENSHOT = "screenshot", _("Full-page screenshot")
    TEXT = "text", _("Rendered text")
    INFO = "info", _("Media information (JSON)")
    MANIFEST = "manifest", _("Capture manifest")
    TIMESTAMP = "timestamp", _("Trusted timestamp token (RFC 3161)")


ARTEFACT_MIME_TYPES = {
    ArtefactKind.WARC: "application/warc",
    ArtefactKind.SCREENSHOT: "image/png",
    ArtefactKind.TEXT: "text/plain; charset=utf-8",
    ArtefactKind.INFO: "application/json",
    ArtefactKind.MANIFEST: "application/json",
    ArtefactKind.TIMESTAMP: "application/timestamp-reply",
}


def artefact_path(instance: "CaptureArtefact", filename: str) -> str:
    return f"captures/{instance.capture.case_id}/{instance.sha256[:2]}/{instance.sha256}"


class CaptureArtefact(ConstraintMessagesByField, models.Model):
    """A file made by a capture (the page's WARC, its screenshot and text, the media's info, the manifest),
    stored once, by content hash, and never changed."""

    capture = models.ForeignKey(Capture, on_delete=models.PROTECT, related_name="artefacts")
    kind = models.CharField(_("kind"), max_length=20, choices=ArtefactKind.choices)
    file = models.FileField(_("file"), upload_to=artefact_path, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size_bytes = models.PositiveBigIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    constraint_fields = {
        "capture_artefact_one_per_kind": "kind",
        "capture_artefact_kind_valid": "kind",
        "capture_artefact_sha256_format": "sha256",
    }

    class Meta:
        ordering = ["capture", "kind"]
        verbose_name = _("capture artefact")
        verbose_name_plural = _("capture artefacts")
        constraints = [
            models.UniqueConstraint(
                fields=["capture", "kind"],
                name="capture_artefact_one_per_kind",
                violation_error_message=_("The capture already has this artefact."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ArtefactKind.values),
                name="capture_artefact_kind_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=SHA256_HEX_PATTERN),
                name="capture_artefact_sha256_format",
                violation_error_message=_("A SHA-256 is 64 lowercase hexadecimal characters."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capture} {self.kind}"

    @property
    def mime_type(self) -> str:
        return ARTEFACT_MIME_TYPES[self.kind]


class CaptureCheck(models.Model):
    """One re-check of a captured URL: its outcome and when."""

    capture = models.ForeignKey(Capture, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(_("checked at"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=SourceStatus.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("re-check of a source")
        verbose_name_plural = _("re-checks of sources")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=[SourceStatus.ONLINE, SourceStatus.CHANGED, SourceStatus.GONE]),
                name="capture_check_outcome_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capture} {self.outcome} {self.checked_at:%Y-%m-%d %H:%M}"
