from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casework.cases.models import Case
from casework.errors import ConstraintMessagesByField
from casework.incidents.models import Incident
from casework.witnesses.crypto import EncryptedTextField

IDENTITY_FIELDS = ("real_name", "contact_details", "address", "phone", "messaging_handles")


def identity_fields_through(relation: str) -> tuple[str, ...]:
    """The identity columns of a witness reached through `relation` ("witness"), to `defer()` them: pages and
    lists that show a witness by pseudonym never read, let alone decrypt, the identity."""
    return tuple(f"{relation}__{name}" for name in IDENTITY_FIELDS)


class WitnessRelationship(models.TextChoices):
    EYEWITNESS = "eyewitness", _("Eyewitness")
    SURVIVOR = "survivor", _("Survivor")
    RELATIVE = "relative", _("Relative of a victim")
    FIRST_RESPONDER = "first_responder", _("First responder")
    MEDIC = "medic", _("Medic")
    JOURNALIST = "journalist", _("Journalist")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class SourceReliability(models.TextChoices):
    """HURIDOCS Events Standard Formats: reliability of the source."""

    HIGHLY_RELIABLE = "highly_reliable", _("Highly reliable")
    RELIABLE = "reliable", _("Reliable")
    SOMEWHAT_RELIABLE = "somewhat_reliable", _("Somewhat reliable")
    UNRELIABLE = "unreliable", _("Unreliable")
    HIGHLY_UNRELIABLE = "highly_unreliable", _("Highly unreliable")
    UNKNOWN = "unknown", _("Unknown")


class SourceConnection(models.TextChoices):
    """HURIDOCS Events Standard Formats: the source's connection to the information."""

    INVOLVED = "involved", _("Involved")
    RELATED_TO_PARTICIPANTS = "related", _("Related to participants")
    THIRD_PARTY = "third_party", _("Third party")
    PROVIDED_SERVICE = "provided_service", _("Provided a service")
    UNKNOWN = "unknown", _("Unknown")


class WitnessQuerySet(models.QuerySet):
    def pseudonymous(self) -> "WitnessQuerySet":
        """Witnesses without their identity columns: lists, pickers and pages that show the pseudonym never
        read (or decrypt) the identity."""
        return self.defer(*IDENTITY_FIELDS)


class Witness(ConstraintMessagesByField, models.Model):
    """A source person. The identity fields are encrypted at rest; everything else shows the pseudonym."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="witnesses")
    pseudonym = models.CharField(_("pseudonym"), max_length=60, help_text=_("Code shown instead of the name."))
    real_name = EncryptedTextField(_("real name"), blank=True)
    contact_details = EncryptedTextField(_("contact details"), blank=True)
    address = EncryptedTextField(_("exact address"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    messaging_handles = EncryptedTextField(_("messaging handles"), blank=True)
    relationship = models.CharField(
        _("relationship to the incident"), max_length=20, choices=WitnessRelationship.choices
    )
    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.HIGH)
    reliability = models.CharField(
        _("reliability"), max_length=20, choices=SourceReliability.choices, default=SourceReliability.UNKNOWN
    )
    connection = models.CharField(
        _("connection to the information"),
        max_length=20,
        choices=SourceConnection.choices,
        default=SourceConnection.UNKNOWN,
    )
    notes = models.TextField(_("notes (no identifying details)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Raised by every edit through a service; an edit made from an older version is refused (no lost update).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # The history keeps who changed what, never the identity itself (even encrypted copies multiply exposure).
    history = HistoricalRecords(excluded_fields=list(IDENTITY_FIELDS))
    objects = WitnessQuerySet.as_manager()

    constraint_fields = {
        "witness_pseudonym_unique_per_case": "pseudonym",
        "witness_pseudonym_required": "pseudonym",
        "witness_relationship_valid": "relationship",
        "witness_risk_level_valid": "risk_level",
        "witness_reliability_valid": "reliability",
        "witness_connection_valid": "connection",
    }

    class Meta:
        ordering = ["case", "pseudonym"]
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "pseudonym"],
                name="witness_pseudonym_unique_per_case",
                violation_error_message=_("Another witness of this case already has this pseudonym."),
            ),
            models.CheckConstraint(
                condition=~Q(pseudonym=""),
                name="witness_pseudonym_required",
                violation_error_message=_("Give the witness a pseudonym."),
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=WitnessRelationship.values),
                name="witness_relationship_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(risk_level__in=RiskLevel.values),
                name="witness_risk_level_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(reliability__in=SourceReliability.values),
                name="witness_reliability_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(connection__in=SourceConnection.values),
                name="witness_connection_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class ConsentScope(models.TextChoices):
    INTERNAL = "internal", _("Internal use")
    UN_MECHANISMS = "un_mechanisms", _("UN mechanisms")
    COURTS = "courts", _("Courts / ICC")
    MEDIA_PUBLIC = "media_public", _("Media / public")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written, signed")
    ORAL_RECORDED = "oral_recorded", _("Oral, recorded")
    ORAL_NOTED = "oral_noted", _("Oral, noted by interviewer")
    ELECTRONIC = "electronic", _("Electronic message")


class ConsentQuerySet(models.QuerySet):
    def in_force(self, on=None) -> "ConsentQuerySet":
        """Consents in force on day `on` (today): given by then, and neither withdrawn nor superseded by then."""
        day = on or timezone.localdate()
        return self.filter(
            Q(given_on__lte=day),
            Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day),
            Q(superseded_on__isnull=True) | Q(superseded_on__gt=day),
        )


class Consent(ConstraintMessagesByField, models.Model):
    witness = models.ForeignKey(Witness, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("scope"), max_length=20, choices=ConsentScope.choices)
    allows_name = models.BooleanField(
        _("name may be shared"),
        default=False,
        help_text=_("Otherwise only the pseudonym is shared in this scope."),
    )
    given_on = models.DateField(_("given on"))
    method = models.CharField(_("how given"), max_length=20, choices=ConsentMethod.choices)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)
    # A newer consent for the same scope replaces this one from the day it was given.
    superseded_on = models.DateField(_("superseded on"), null=True, blank=True, editable=False)
    # Sharing a name takes effect only once a case admin has confirmed it (intake staff may record it).
    name_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("name sharing confirmed by"),
    )
    name_confirmed_at = models.DateTimeField(_("name sharing confirmed at"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ConsentQuerySet.as_manager()

    constraint_fields = {
        "consent_scope_valid": "scope",
        "consent_method_valid": "method",
        "consent_withdrawn_after_given": "withdrawn_on",
        "consent_name_confirmation_needs_name": "allows_name",
    }

    class Meta:
        ordering = ["witness", "scope", "-given_on"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=ConsentScope.values),
                name="consent_scope_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(method__in=ConsentMethod.values),
                name="consent_method_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                name="consent_withdrawn_after_given",
                violation_error_message=_("Consent cannot be withdrawn before it was given."),
            ),
            models.CheckConstraint(
                condition=Q(name_confirmed_at__isnull=True) | Q(allows_name=True, name_confirmed_by__isnull=False),
                name="consent_name_confirmation_needs_name",
                violation_error_message=_("Only a consent that allows the name can have the name confirmed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.witness} — {self.get_scope_display()}"

    def in_force_on(self, day=None) -> bool:
        """The same rule as ConsentQuerySet.in_force, for a row already loaded."""
        day = day or timezone.localdate()
        return (
            self.given_on <= day
            and (self.withdrawn_on is None or self.withdrawn_on > day)
            and (self.superseded_on is None or self.superseded_on > day)
        )

    @property
    def name_sharing_confirmed(self) -> bool:
        return self.allows_name and self.name_confirmed_at is not None


class InterviewMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    MESSAGING_APP = "messaging_app", _("Messaging app")
    VIDEO_CALL = "video_call", _("Video call")


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class Testimony(ConstraintMessagesByField, models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="testimonies")
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="testimonies")
    incidents = models.ManyToManyField(Incident, related_name="testimonies", verbose_name=_("incidents"))
    interview_date = models.DateField(_("interview date"))
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("interviewer")
    )
    method = models.CharField(_("interview method"), max_length=20, choices=InterviewMethod.choices)
    language = models.CharField(_("language"), max_length=10, help_text=_("Language code, e.g. ar or en."))
    original_text = models.TextField(_("original text"))
    status = models.CharField(_("status"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Raised by every edit through a service; an edit made from an older version is refused (no lost update).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.TextField(_("review reason"), blank=True)
    # Everyone who wrote or edited the text or a translation: none of them may verify it (two-person rule).
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("wrote or edited the text")
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    constraint_fields = {
        "testimony_method_valid": "method",
        "testimony_status_valid": "status",
        "testimony_text_required": "original_text",
        "testimony_rejection_has_reason": "review_reason",
    }

    class Meta:
        ordering = ["-interview_date", "id"]
        verbose_name = _("testimony")
        verbose_name_plural = _("testimonies")
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=InterviewMethod.values),
                name="testimony_method_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values),
                name="testimony_status_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=~Q(original_text=""),
                name="testimony_text_required",
                violation_error_message=_("The testimony needs its text."),
            ),
            # Two-person rule: nobody verifies or rejects their own testimony.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("created_by")),
                name="testimony_reviewer_is_not_author",
                violation_error_message=_("Someone other than the author must review this testimony."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.REJECTED) | ~Q(review_reason=""),
                name="testimony_rejection_has_reason",
                violation_error_message=_("Say why the testimony is rejected."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ReviewStatus.VERIFIED, ReviewStatus.REJECTED])
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="testimony_decision_has_reviewer",
                violation_error_message=_("A review decision needs its reviewer and time."),
            ),
        ]
        # The case's list, filtered by review status, newest interview first: a page without scanning the table.
        indexes = [models.Index(F("case"), F("status"), F("interview_date").desc(), F("id").desc(),
                                name="testimony_case_status_date")]  # fmt: skip

    def __str__(self) -> str:
        return _("Testimony of %(witness)s, %(date)s") % {
            "witness": self.witness,
            "date": self.interview_date,
        }

    # The review workflow, in one place for the services, pages, API and admin.
    def is_editable(self) -> bool:
        """A verified testimony stays as verified; editing a submitted or rejected one returns it to draft."""
        return self.status != ReviewStatus.VERIFIED

    def is_submittable(self) -> bool:
        return self.status in (ReviewStatus.DRAFT, ReviewStatus.REJECTED)

    def is_reviewable(self) -> bool:
        return self.status == ReviewStatus.SUBMITTED

    def wrote_or_edited(self, user) -> bool:
        """Whether `user` recorded, interviewed for, or wrote or edited the text of this testimony."""
        if user.pk in (self.created_by_id, self.interviewer_id):
            return True
        return self.authors.filter(pk=user.pk).exists()


class TestimonyTranslation(ConstraintMessagesByField, models.Model):
    testimony = models.ForeignKey(Testimony, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text"))
    translator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    constraint_fields = {
        "one_translation_per_language": "language",
        "translation_text_required": "text",
    }

    class Meta:
        ordering = ["testimony", "language"]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(
                fields=["testimony", "language"],
                name="one_translation_per_language",
                violation_error_message=_("There is already a translation in this language."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="translation_text_required",
                violation_error_message=_("The translation needs its text."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.testimony_id} [{self.language}]"


class WitnessIdentityChange(models.Model):
    """A change of a witness's identity fields: which fields, who, when, and the earlier values, encrypted.

    Identity fields are never silently overwritten: each change is audited and the values it replaced stay
    recoverable by someone who may reveal identities.
    """

    witness = models.ForeignKey(Witness, on_delete=models.CASCADE, related_name="identity_changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    fields = models.JSONField(_("fields changed"), default=list)
    previous_values = EncryptedTextField(_("earlier values (encrypted)"), blank=True)

    class Meta:
        ordering = ["witness", "-changed_at", "-id"]
        verbose_name = _("witness identity change")
        verbose_name_plural = _("witness identity changes")

    def __str__(self) -> str:
        return f"{self.witness}: {', '.join(self.fields)}"
