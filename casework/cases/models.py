from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.errors import ConstraintMessagesByField


class Case(ConstraintMessagesByField, models.Model):
    """A line of investigation. Every record belongs to exactly one case; access is decided per case."""

    reference = models.CharField(
        _("reference"),
        max_length=20,
        unique=True,
        help_text=_("Short code used as the exhibit-number prefix, e.g. CW-0042."),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CaseMembership", related_name="cases", blank=True
    )

    constraint_fields = {
        "case_reference_format": "reference",
    }

    class Meta:
        ordering = ["reference"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(
                condition=Q(reference__regex=r"^[A-Z0-9][A-Z0-9-]*\Z"),
                name="case_reference_format",
                violation_error_message=_(
                    "Use capital letters, digits and hyphens, starting with a letter or digit (e.g. CW-0042)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class CaseRole(models.TextChoices):
    INTAKE = "intake", _("Intake / field researcher")
    REVIEWER = "reviewer", _("Reviewer")
    ANALYST = "analyst", _("Analyst")
    CASE_ADMIN = "case_admin", _("Case admin")


class CaseMembership(ConstraintMessagesByField, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=CaseRole.choices)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    constraint_fields = {
        "one_membership_per_user_and_case": "user",
        "membership_role_valid": "role",
    }

    class Meta:
        ordering = ["case", "user"]
        verbose_name = _("case membership")
        verbose_name_plural = _("case memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"],
                name="one_membership_per_user_and_case",
                violation_error_message=_("This person is already on the case's team."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=CaseRole.values),
                name="membership_role_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.case.reference} as {self.get_role_display()}"
