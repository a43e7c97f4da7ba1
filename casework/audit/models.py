from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.append_only import AppendOnlyModel
from casework.cases.models import Case
from casework.errors import ConstraintMessagesByField


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    IDENTITY_REVEALED = "identity_revealed", _("Witness identity revealed")
    IDENTITY_CHANGED = "identity_changed", _("Witness identity changed")
    MEMBERSHIP_ADDED = "membership_added", _("Added to a case team")
    MEMBERSHIP_CHANGED = "membership_changed", _("Role on a case changed")
    MEMBERSHIP_REMOVED = "membership_removed", _("Removed from a case team")
    ORIGINAL_DOWNLOADED = "original_downloaded", _("Original downloaded")
    ORIGINAL_VIEWED = "original_viewed", _("Original viewed in the browser")
    EXPORT = "export", _("Evidence exported")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")


class AuditEvent(ConstraintMessagesByField, AppendOnlyModel):
    """A security-relevant event. Never holds an identity: a reveal records who, when, which witness and why."""

    occurred_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("what"), max_length=30, choices=AuditAction.choices)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=60, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    constraint_fields = {"audit_action_valid": "action", "audit_reveal_has_reason": "reason"}

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values),
                name="audit_action_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=~Q(action="identity_revealed") | ~Q(reason=""),
                name="audit_reveal_has_reason",
                violation_error_message=_("Say why the identity was revealed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
