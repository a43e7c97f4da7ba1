"""The case-wide search index: one row per searchable record, kept current by the services that write records.

`document` is the record's searchable text passed through `casework.text.normalise_for_matching`, the same
function the query goes through, so that a search and the text agree on what is the same word (hamza forms,
ta marbuta, diacritics, digit scripts, letter case). `body` is the text as written, for the result's snippet.

On PostgreSQL, migration 0002 adds what the ORM does not model: a `vector` tsvector column filled by a
trigger from `document` ('simple' words plus 'english' stems), a GIN index over it, and a trigram index over
victims' names (pg_trgm). SQLite has neither and searches `document` by substring (see selectors.py).

Witness identities never reach this table: no builder in documents.py reads an identity field, a
pseudonym, or a media item's original file name (encrypted because it can name the sender).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case


class RecordKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    VICTIM = "victim", _("Victim")
    TESTIMONY = "testimony", _("Testimony")
    MEDIA = "media", _("Media item")
    CAPTURE = "capture", _("Online capture")


class SearchEntry(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=RecordKind.choices)
    object_id = models.PositiveBigIntegerField()
    body = models.TextField(blank=True)
    document = models.TextField(blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_one_per_record"),
            models.CheckConstraint(condition=models.Q(kind__in=RecordKind.values), name="search_entry_kind_valid"),
        ]
        indexes = [models.Index(fields=["case", "kind"], name="search_entry_case_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class SavedSearch(models.Model):
    """A named search of one case: its text and filters, re-run on demand. Shared searches are listed for the
    whole case team; the others only for the person who saved them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("name"), max_length=200)
    # The query string of the search page (q, kind, date_from, ...), as validated by SearchForm.
    parameters = models.JSONField(_("search"), default=dict)
    shared = models.BooleanField(_("shared with the case team"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(fields=["case", "created_by", "name"], name="saved_search_name_unique_per_person")
        ]

    def __str__(self) -> str:
        return self.name
