from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case
from casework.errors import ConstraintMessagesByField
from casework.incidents.models import Incident


class BundleScope(models.TextChoices):
    INCIDENTS = "incidents", _("Selected incidents")
    CASE = "case", _("Whole case")


class RedactionProfile(models.TextChoices):
    INTERNAL = "internal", _("Internal (team use)")
    COURT = "court", _("Court")
    PUBLIC = "public", _("Public")


class BundleStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    # Kept past the retention period: the file is deleted, the record stays.
    EXPIRED = "expired", _("Expired")


class EvidenceBundle(ConstraintMessagesByField, models.Model):
    """An evidence packet for an outside recipient, built by a worker into one ZIP."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="bundles")
    scope = models.CharField(_("scope"), max_length=20, choices=BundleScope.choices)
    incidents = models.ManyToManyField(Incident, blank=True, related_name="bundles", verbose_name=_("incidents"))
    recipient = models.CharField(_("recipient"), max_length=300)
    profile = models.CharField(_("redaction profile"), max_length=20, choices=RedactionProfile.choices)
    purpose = models.TextField(_("purpose"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BundleStatus.choices, default=BundleStatus.QUEUED)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_message = models.CharField(_("progress"), max_length=300, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    lease_token = models.CharField(max_length=64, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    archive = models.FileField(_("archive"), max_length=300, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True, editable=False)
    # Decided when the packet is requested: only a person who may reveal identities on the case gets a packet
    # that names witnesses (those whose consent allows it); for everyone else it uses pseudonyms only.
    names_witnesses = models.BooleanField(_("names witnesses"), default=False, editable=False)
    # What the built packet carries of each witness, and under which disclosure, so a consent withdrawn
    # later can stop its download: [{"witness": id, "pseudonym": ..., "disclosure": ..., "carries": [...]}].
    witness_material = models.JSONField(_("witness material carried"), default=list, blank=True, editable=False)
    # What the built packet holds; None for a packet not built yet (or built before these were counted).
    exhibit_count = models.PositiveIntegerField(_("exhibits in the packet"), null=True, blank=True, editable=False)
    testimony_count = models.PositiveIntegerField(_("testimonies in the packet"), null=True, blank=True, editable=False)

    constraint_fields = {
        "bundle_scope_valid": "scope",
        "bundle_profile_valid": "profile",
        "bundle_status_valid": "status",
        "bundle_progress_at_most_100": "progress_percent",
        "bundle_recipient_required": "recipient",
        "bundle_failure_has_reason": "failure_reason",
    }

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("evidence bundle")
        verbose_name_plural = _("evidence bundles")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=BundleScope.values),
                name="bundle_scope_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(profile__in=RedactionProfile.values),
                name="bundle_profile_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=BundleStatus.values),
                name="bundle_status_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100),
                name="bundle_progress_at_most_100",
                violation_error_message=_("Progress is at most 100%."),
            ),
            models.CheckConstraint(
                condition=~Q(recipient=""),
                name="bundle_recipient_required",
                violation_error_message=_("Say who receives the packet."),
            ),
            # Nothing is offered for download unless the archive and its manifest hash are both recorded.
            models.CheckConstraint(
                condition=~Q(status=BundleStatus.READY) | (~Q(archive="") & ~Q(manifest_sha256="")),
                name="bundle_ready_has_archive",
                violation_error_message=_("A ready packet needs its archive and manifest hash."),
            ),
            models.CheckConstraint(
                condition=~Q(status=BundleStatus.FAILED) | ~Q(failure_reason=""),
                name="bundle_failure_has_reason",
                violation_error_message=_("A failed packet needs the reason."),
            ),
            models.CheckConstraint(
                condition=~Q(status=BundleStatus.EXPIRED) | Q(expired_at__isnull=False),
                name="bundle_expired_has_date",
                violation_error_message=_("An expired packet needs the date it expired."),
            ),
        ]

    def __str__(self) -> str:
        return f"Bundle {self.pk} for {self.recipient} ({self.get_profile_display()})"

    @property
    def is_empty(self) -> bool:
        """Built, and holding no exhibit and no testimony (every one was left out under its profile)."""
        return self.status == BundleStatus.READY and self.exhibit_count == 0 and self.testimony_count == 0
