"""Which incidents count: the filter of the page, the export and the API, validated by one form."""

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casework.cases import access
from casework.cases.models import Case
from casework.cases.selectors import cases_permitting
from casework.incidents.models import (
    Attribution,
    AttributionConfidence,
    Governorate,
    Incident,
    Party,
    Victim,
    VictimQuerySet,
)


def default_massacre_min() -> int:
    return VictimQuerySet.massacre_minimum()


@dataclass(frozen=True)
class StatisticsFilter:
    """Which incidents count: the cases in scope and the filters of the form, already validated."""

    case_ids: tuple[int, ...]
    case_reference: str = ""  # "" for every case the person may see statistics of
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    party: str = ""
    governorate: str = ""
    confidences: tuple[str, ...] = ()
    massacre_min: int = field(default_factory=default_massacre_min)

    @property
    def narrows_incidents(self) -> bool:
        """Whether anything but the cases selects the incidents."""
        return bool(self.date_from or self.date_to or self.party or self.governorate or self.confidences)

    def incidents(self) -> QuerySet[Incident]:
        incidents = Incident.objects.filter(case_id__in=self.case_ids)
        if self.date_from:
            incidents = incidents.filter(start_time__date__gte=self.date_from)
        if self.date_to:
            incidents = incidents.filter(start_time__date__lte=self.date_to)
        if self.governorate:
            incidents = incidents.filter(governorate__code=self.governorate)
        if self.party or self.confidences:
            # One attribution must match both the party and the confidence.
            attributions = Attribution.objects.filter(incident=OuterRef("pk"))
            if self.party:
                attributions = attributions.filter(party__code=self.party)
            if self.confidences:
                attributions = attributions.filter(confidence__in=self.confidences)
            incidents = incidents.filter(Exists(attributions))
        return incidents

    def victims(self, incidents: QuerySet[Incident] | None = None) -> VictimQuerySet:
        """Victims of the filtered incidents (or of `incidents`, a narrower set), each person once."""
        if incidents is None and not self.narrows_incidents:
            # The case of the incident, joined, rather than a subquery of every incident of the cases.
            return Victim.objects.counted().filter(incident__case_id__in=self.case_ids)
        incidents = self.incidents() if incidents is None else incidents
        return Victim.objects.counted().filter(incident__in=incidents.values("pk"))

    def as_query(self) -> QueryDict:
        """The GET parameters that reproduce this filter (for links to the records and the export)."""
        query = QueryDict(mutable=True)
        if self.case_reference:
            query["case"] = self.case_reference
        if self.date_from:
            query["date_from"] = self.date_from.isoformat()
        if self.date_to:
            query["date_to"] = self.date_to.isoformat()
        if self.party:
            query["party"] = self.party
        if self.governorate:
            query["governorate"] = self.governorate
        if self.confidences:
            query.setlist("confidence", list(self.confidences))
        if self.massacre_min != default_massacre_min():
            query["massacre_min"] = str(self.massacre_min)
        return query


def vocabulary_labels(model, case_ids, codes_by_id: dict[int, str] | None = None) -> dict[str, tuple[str, bool]]:
    """{code: (label in the current language, active)} of the terms shared or added to these cases.

    A case may add a term whose code is also a shared code; figures group by code, labelled by the shared
    term. One query; `codes_by_id`, if given, is filled with {term id: code} of every term read.
    """
    arabic = get_language() == "ar"
    terms: dict[str, tuple[str, bool, bool]] = {}
    rows = model.objects.filter(Q(case__isnull=True) | Q(case_id__in=case_ids)).values_list(
        "code", "name", "name_ar", "is_active", "case_id", "id"
    )
    for code, name, name_ar, is_active, case_id, term_id in rows:
        if codes_by_id is not None:
            codes_by_id[term_id] = code
        shared = case_id is None
        if code in terms and not (shared and not terms[code][2]):
            continue
        terms[code] = ((name_ar if arabic and name_ar else name), is_active, shared)
    ordered = sorted(terms.items(), key=lambda item: item[1][0].casefold())
    return {code: (label, is_active) for code, (label, is_active, _shared) in ordered}


def statistics_cases(user) -> list[Case]:
    """The cases a person may see statistics of; PermissionDenied if there is none."""
    cases = list(cases_permitting(user, access.VIEW_STATISTICS).order_by("reference"))
    if not cases:
        raise PermissionDenied
    return cases


class StatisticsFilterForm(forms.Form):
    """Validates the GET parameters of the page, the export and the API into a StatisticsFilter."""

    case = forms.ChoiceField(label=_("Case"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    party = forms.ChoiceField(label=_("Perpetrator party"), required=False)
    governorate = forms.ChoiceField(label=_("Governorate"), required=False)
    confidence = forms.MultipleChoiceField(
        label=_("Attribution confidence"),
        required=False,
        choices=AttributionConfidence.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    massacre_min = forms.IntegerField(
        label=_("Massacre: civilians killed at least"),
        required=False,
        min_value=1,
        max_value=10000,
    )

    def __init__(self, data=None, *, cases: list[Case], **kwargs):
        super().__init__(data, **kwargs)
        self.cases = cases
        case_ids = [case.pk for case in cases]
        self.fields["case"].choices = [("", _("All my cases"))] + [
            (case.reference, f"{case.reference} — {case.title}") for case in cases
        ]
        for name, model in (("party", Party), ("governorate", Governorate)):
            labels = vocabulary_labels(model, case_ids)
            self.fields[name].choices = [("", _("Any"))] + [(code, label) for code, (label, _a) in labels.items()]
        self.fields["massacre_min"].widget.attrs["placeholder"] = str(default_massacre_min())

    def clean_massacre_min(self) -> int:
        value = self.cleaned_data.get("massacre_min")
        return default_massacre_min() if value is None else value

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def statistics_filter(self) -> StatisticsFilter:
        data = self.cleaned_data
        reference = data["case"]
        case_ids = tuple(case.pk for case in self.cases if not reference or case.reference == reference)
        return StatisticsFilter(
            case_ids=case_ids,
            case_reference=reference,
            date_from=data["date_from"],
            date_to=data["date_to"],
            party=data["party"],
            governorate=data["governorate"],
            confidences=tuple(data["confidence"]),
            massacre_min=data["massacre_min"],
        )


def statistics_filter_form(user, params: QueryDict) -> StatisticsFilterForm:
    """The bound filter form for a person. PermissionDenied (403) if they may see statistics of no case;
    Http404 if `case` names a case they may not see statistics of, so outsiders learn nothing of it."""
    cases = statistics_cases(user)
    reference = params.get("case", "")
    if reference and reference not in {case.reference for case in cases}:
        raise Http404("No such case.")
    return StatisticsFilterForm(params, cases=cases)
