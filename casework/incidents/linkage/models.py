"""Candidate pairs and reviewers' decisions of record linkage (imported by incidents.models: these are
incidents models and migrations)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case


class LinkCandidate(models.Model):
    """Two victim records of one case that may be one person, found by the candidate search (blocking and
    scoring, incidents.services.linkage_find_candidates), strongest first. `first` is the record with the
    smaller id. Derived data: the next search replaces the case's candidates; decisions are kept apart."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey("incidents.Victim", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("incidents.Victim", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    # [[code, detail], ...]: which parts agreed and which differed (linkage.reasons words them).
    reasons = models.JSONField(_("reasons"), default=list)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "first", "second"]
        verbose_name = _("linkage candidate")
        verbose_name_plural = _("linkage candidates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="link_candidate_pair_unique"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="link_candidate_first_smaller"),
        ]
        indexes = [models.Index(fields=["case", "-score"], name="link_candidate_case_score")]

    def __str__(self) -> str:
        return f"{self.first_id}~{self.second_id}: {self.score:.2f}"


class LinkVerdict(models.TextChoices):
    SAME = "same", _("Same person")
    DIFFERENT = "different", _("Different people")
    UNSURE = "unsure", _("Unsure")
    WITHDRAWN = "withdrawn", _("Decision withdrawn")


class LinkDecision(models.Model):
    """A reviewer's decision on two victim records, never changed or deleted: the latest decision on a pair is
    the one in force, and undoing one records another ("withdrawn"), so every decision stays on record.

    The "same person" decisions in force join records into clusters (transitively); each cluster is counted
    once (incidents.services.linkage_recluster writes it into Victim.duplicate_of)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey("incidents.Victim", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("incidents.Victim", on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(_("decision"), max_length=10, choices=LinkVerdict.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    # Set when the reviewer went ahead although the cluster joins records marked as different people.
    joined_despite_conflict = models.BooleanField(default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("linkage decision")
        verbose_name_plural = _("linkage decisions")
        constraints = [
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="link_decision_first_smaller"),
            models.CheckConstraint(condition=Q(verdict__in=LinkVerdict.values), name="link_decision_verdict_valid"),
        ]
        indexes = [models.Index(fields=["case", "first", "second"], name="link_decision_pair")]

    def __str__(self) -> str:
        return f"{self.first_id}~{self.second_id}: {self.verdict}"
