"""Work that finds people: who is to review what (ReviewAssignment), and what they should know (Notification).

A notification names its records (a testimony, a media item, a packet) instead of copying their text: a page
shows it with the witness's pseudonym, the item's kind and short hash, the packet's number, and links to them,
so it never carries a witness's identity, an original file name or a server path. The only text it keeps is a
reviewer's reason for rejecting a testimony, which the author is meant to read.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case
from casework.errors import ConstraintMessagesByField


class ReviewAssignment(ConstraintMessagesByField, models.Model):
    """The one person a testimony or a media item waiting for review is assigned to."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    testimony = models.OneToOneField(
        "witnesses.Testimony", on_delete=models.CASCADE, null=True, blank=True, related_name="review_assignment"
    )
    media_item = models.OneToOneField(
        "evidence.MediaItem", on_delete=models.CASCADE, null=True, blank=True, related_name="review_assignment"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_assignments",
        verbose_name=_("assigned to"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"))

    class Meta:
        ordering = ["-assigned_at", "-id"]
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(testimony__isnull=False, media_item__isnull=True)
                | Q(testimony__isnull=True, media_item__isnull=False),
                name="assignment_one_record",
                violation_error_message=_("An assignment is for one testimony or one media item."),
            ),
        ]
        indexes = [models.Index(fields=["assignee", "case"], name="assignment_assignee_case")]

    def __str__(self) -> str:
        return f"{self.testimony_id or self.media_item_id} → {self.assignee_id}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you for review")
    TESTIMONY_REJECTED = "testimony_rejected", _("Your testimony was rejected")
    PACKET_READY = "packet_ready", _("Evidence packet ready")
    PROCESSING_FAILED = "processing_failed", _("Processing failed")


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(ConstraintMessagesByField, models.Model):
    """Something one person should know about a record of a case; read or unread."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("what"), max_length=30, choices=NotificationKind.choices)
    # Who did it (the person who assigned or rejected); empty for the worker.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    testimony = models.ForeignKey(
        "witnesses.Testimony", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    media_item = models.ForeignKey(
        "evidence.MediaItem", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    bundle = models.ForeignKey(
        "bundles.EvidenceBundle", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    constraint_fields = {"notification_kind_valid": "kind"}

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="notification_kind_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            # Each kind is about the one record it names, and nothing else.
            models.CheckConstraint(
                condition=(
                    Q(kind=NotificationKind.ASSIGNED, bundle__isnull=True)
                    & (
                        Q(testimony__isnull=False, media_item__isnull=True)
                        | Q(testimony__isnull=True, media_item__isnull=False)
                    )
                )
                | Q(
                    kind=NotificationKind.TESTIMONY_REJECTED,
                    testimony__isnull=False,
                    media_item__isnull=True,
                    bundle__isnull=True,
                )
                | Q(
                    kind=NotificationKind.PACKET_READY,
                    testimony__isnull=True,
                    media_item__isnull=True,
                    bundle__isnull=False,
                )
                | Q(
                    kind=NotificationKind.PROCESSING_FAILED,
                    testimony__isnull=True,
                    media_item__isnull=False,
                    bundle__isnull=True,
                )
                | ~Q(kind__in=NotificationKind.values),
                name="notification_names_its_record",
                violation_error_message=_("A notification names the one record it is about."),
            ),
        ]
        # The unread count of the navigation and the notifications page, newest first.
        indexes = [models.Index(F("recipient"), F("read_at"), F("created_at").desc(), name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.case_id})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def message(self) -> str:
        """What happened, in the reader's language: only pseudonyms, references and short hashes (load the
        notification through `selectors.notifications_for`, which reads nothing else)."""
        actor = self.actor.get_username() if self.actor_id else gettext("Someone")
        if self.kind == NotificationKind.ASSIGNED and self.testimony_id:
            return gettext("%(person)s assigned you the testimony of %(pseudonym)s for review.") % {
                "person": actor,
                "pseudonym": self.testimony.witness.pseudonym,
            }
        if self.kind == NotificationKind.ASSIGNED:
            return gettext("%(person)s assigned you %(item)s for review.") % {"person": actor, "item": self.media_item}
        if self.kind == NotificationKind.TESTIMONY_REJECTED:
            return gettext("%(person)s rejected the testimony of %(pseudonym)s.") % {
                "person": actor,
                "pseudonym": self.testimony.witness.pseudonym,
            }
        if self.kind == NotificationKind.PACKET_READY:
            return gettext("Evidence packet %(number)s is ready to download.") % {"number": self.bundle_id}
        return gettext("Processing of %(item)s did not finish: %(state)s.") % {
            "item": self.media_item,
            "state": self.media_item.get_processing_state_display(),
        }

    def link(self) -> str:
        """The page of the record the notification is about."""
        reference = self.case.reference
        if self.testimony_id:
            return reverse("witnesses:testimony_detail", args=[reference, self.testimony_id])
        if self.media_item_id:
            return reverse("evidence:media_detail", args=[self.media_item_id])
        return reverse("bundles:bundle_list", args=[reference])
