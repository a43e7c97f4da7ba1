"""Record pickers: form fields that choose a case's incidents, witnesses or recordings without listing them all.

A `<select>` or a column of checkboxes with every incident of a case grows with the case (17,000 incidents made
the new-testimony form take ten seconds). A picker renders only what is already chosen (as ticked checkboxes)
and a text box. With JavaScript (`web/picker.js`) the text box searches as one types, through `picker_search`
behind `web:pick_<kind>`, and a picked record joins the ticked ones. Without JavaScript a person types the
record's key (an incident's reference, a witness's pseudonym, a recording's exhibit number), several separated
by commas, and the form resolves them. Either way the field accepts only records of the form's case: a record
of another case, or a key no record of the case has, is a clear field error and nothing is written.

Witnesses are searched, shown and typed by pseudonym only: the identity columns are never read.
"""

import re
from dataclasses import dataclass, field

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework.cases import access
from casework.cases.models import Case

RESULTS_LIMIT = 20


@dataclass(frozen=True)
class PickerKind:
    """One kind of record a picker chooses: how it is found, shown, typed and who may search it."""

    name: str
    permission: str
    key_field: str
    search_fields: tuple[str, ...]
    fields: tuple[str, ...]
    typed_help: str
    unknown_key: str
    not_in_case: str

    def queryset(self, case: Case) -> QuerySet:
        return _QUERYSETS[self.name](case).only("pk", *self.fields)

    def label(self, record) -> str:
        if self.name == "incidents":
            return f"{record.reference} — {record.title}"
        if self.name == "recordings":
            return (
                f"{record.exhibit_number} — {record.description[:60]}" if record.description else record.exhibit_number
            )
        return record.pseudonym

    def key(self, record) -> str:
        return getattr(record, self.key_field)


def _incidents(case: Case) -> QuerySet:
    from casework.incidents.models import Incident

    return Incident.objects.filter(case=case).order_by("reference")


def _witnesses(case: Case) -> QuerySet:
    from casework.witnesses.models import Witness

    return Witness.objects.filter(case=case).pseudonymous().order_by("pseudonym")


def _recordings(case: Case) -> QuerySet:
    from casework.evidence.models import MediaItem

    return MediaItem.objects.filter(case=case, kind__in=["audio", "video"]).order_by("exhibit_sequence")


_QUERYSETS = {"incidents": _incidents, "witnesses": _witnesses, "recordings": _recordings}

KINDS: dict[str, PickerKind] = {
    "incidents": PickerKind(
        name="incidents",
        permission=access.VIEW_CASE,
        key_field="reference",
        search_fields=("reference", "title", "locality"),
        fields=("reference", "title"),
        typed_help=_("Type to search by reference, title or place. Without JavaScript, type the references."),
        unknown_key=_("No incident of this case has the reference “%(key)s”."),
        not_in_case=_("That incident is not one of this case’s incidents."),
    ),
    "witnesses": PickerKind(
        name="witnesses",
        permission=access.VIEW_CASE,
        key_field="pseudonym",
        # The pseudonym only: identities are encrypted and never searchable.
        search_fields=("pseudonym",),
        fields=("pseudonym",),
        typed_help=_("Type to search by pseudonym. Without JavaScript, type the pseudonym."),
        unknown_key=_("No witness of this case has the pseudonym “%(key)s”."),
        not_in_case=_("That witness is not one of this case’s witnesses."),
    ),
    "recordings": PickerKind(
        name="recordings",
        permission=access.VIEW_MEDIA,
        key_field="exhibit_number",
        search_fields=("exhibit_number", "description"),
        fields=("exhibit_number", "description"),
        typed_help=_("Type to search by exhibit number or description. Without JavaScript, type the exhibit numbers."),
        unknown_key=_("No audio or video recording of this case has the exhibit number “%(key)s”."),
        not_in_case=_("That recording is not one of this case’s audio or video recordings."),
    ),
}


def picker_search(*, kind: PickerKind, case: Case, query: str, limit: int = RESULTS_LIMIT) -> list[dict]:
    """At most `limit` records of the case matching the words, as {id, key, label}: one query, bounded.

    The caller has checked that the person may read this kind of record in the case.
    """
    records = kind.queryset(case)
    query = query.strip()
    if query:
        condition = Q()
        for name in kind.search_fields:
            condition |= Q(**{f"{name}__icontains": query})
        records = records.filter(condition)
    return [{"id": record.pk, "key": kind.key(record), "label": kind.label(record)} for record in records[:limit]]


@dataclass
class Picked:
    """What a picker submitted: ids of ticked or picked records, and keys typed into the text box."""

    ids: list[str] = field(default_factory=list)
    typed: str = ""

    @classmethod
    def of(cls, value) -> "Picked":
        if isinstance(value, Picked):
            return value
        if value in (None, ""):
            return cls()
        values = value if isinstance(value, list | tuple | set | QuerySet) else [value]
        return cls(ids=[str(getattr(item, "pk", item)) for item in values if item not in (None, "")])

    def keys(self) -> list[str]:
        # Commas (Latin or Arabic) or new lines separate keys; a pseudonym may hold spaces.
        return [key.strip() for key in re.split(r"[,،\n]", self.typed) if key.strip()]


class RecordPicker(forms.Widget):
    template_name = "web/_picker.html"

    def __init__(self, *, kind: PickerKind, multiple: bool, attrs=None):
        super().__init__(attrs)
        self.kind = kind
        self.multiple = multiple
        self.url = ""
        self.queryset: QuerySet | None = None

    def value_from_datadict(self, data, files, name) -> Picked:
        ids = data.getlist(name) if hasattr(data, "getlist") else [data[name]] if data.get(name) else []
        return Picked(ids=[str(value) for value in ids if value not in (None, "")], typed=data.get(f"{name}_find", ""))

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data and f"{name}_find" not in data

    def format_value(self, value):
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        picked = Picked.of(value)
        ids = [int(value) for value in picked.ids if str(value).isdigit()]
        chosen = []
        if ids and self.queryset is not None:
            chosen = [
                (record.pk, self.kind.label(record), self.kind.key(record))
                for record in self.queryset.filter(pk__in=ids)
            ]
        help_id = f"{context['widget']['attrs'].get('id', name)}_pickhelp"
        described_by = context["widget"]["attrs"].get("aria-describedby", "")
        context["widget"]["attrs"]["aria-describedby"] = f"{described_by} {help_id}".strip()
        context["widget"].update(
            {
                "help_id": help_id,
                "chosen": chosen,
                "typed": picked.typed,
                "url": self.url,
                "multiple": self.multiple,
                "help": self.kind.typed_help,
                "find_name": f"{name}_find",
            }
        )
        return context

    def id_for_label(self, id_):
        return id_


class _PickerField:
    multiple = False

    def __init__(self, *, kind: str, **kwargs):
        self.kind = KINDS[kind]
        # No records until `limit_to(case)`: a picker never offers anything across cases.
        super().__init__(
            queryset=_model(kind).objects.none(), widget=RecordPicker(kind=self.kind, multiple=self.multiple), **kwargs
        )

    def limit_to(self, case: Case) -> None:
        """Offer and accept only the case's records, searching through the case's picker endpoint."""
        self.queryset = self.kind.queryset(case)
        self.widget.queryset = self.queryset
        self.widget.url = reverse(f"web:pick_{self.kind.name}", kwargs={"reference": case.reference})

    def _resolve(self, value) -> list:
        picked = Picked.of(value)
        if any(not str(value).isdigit() for value in picked.ids):
            raise forms.ValidationError(self.kind.not_in_case, code="invalid_choice")
        ids = {int(value) for value in picked.ids}
        keys = picked.keys()
        if not ids and not keys:
            return []
        condition = Q(pk__in=ids)
        for key in keys:
            condition |= Q(**{f"{self.kind.key_field}__iexact": key})
        found = list(self.queryset.filter(condition))
        if ids - {record.pk for record in found}:
            raise forms.ValidationError(self.kind.not_in_case, code="invalid_choice")
        known = {self.kind.key(record).casefold() for record in found}
        for key in keys:
            if key.casefold() not in known:
                raise forms.ValidationError(self.kind.unknown_key, code="invalid_choice", params={"key": key})
        return found

    def has_changed(self, initial, data) -> bool:
        initial_ids = {str(value) for value in Picked.of(self.prepare_value(initial)).ids}
        picked = Picked.of(data)
        return bool(picked.keys()) or initial_ids != set(picked.ids)


def _model(kind: str):
    from casework.evidence.models import MediaItem
    from casework.incidents.models import Incident
    from casework.witnesses.models import Witness

    return {"incidents": Incident, "witnesses": Witness, "recordings": MediaItem}[kind]


class RecordPickerField(_PickerField, forms.ModelChoiceField):
    """One record of the case (or none when not required)."""

    def clean(self, value):
        found = self._resolve(value)
        if len(found) > 1:
            raise forms.ValidationError(_("Choose only one."), code="invalid_choice")
        if not found and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return found[0] if found else None


class RecordsPickerField(_PickerField, forms.ModelMultipleChoiceField):
    """Any number of records of the case."""

    multiple = True

    def clean(self, value):
        found = self._resolve(value)
        if not found and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return self.queryset.filter(pk__in=[record.pk for record in found])
