import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case
from casework.incidents.models import (
    FacilityType,
    Governorate,
    Incident,
    IncidentType,
    Occupation,
    Victim,
    VictimStatus,
    VocabularyTerm,
    WeaponType,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class CaseVocabularyFilterSet(django_filters.FilterSet):
    """A filter set of one case's records: its vocabulary filters offer (and accept) only the terms that case
    may use, `Model.objects.available_for(case)`: the shared ones and its own, never another case's."""

    vocabulary_filters: dict[str, type[VocabularyTerm]] = {}

    def __init__(self, data=None, queryset=None, *, case: Case, **kwargs):
        super().__init__(data, queryset, **kwargs)
        for name, model in self.vocabulary_filters.items():
            self.filters[name].queryset = model.objects.available_for(case)


class IncidentFilter(CaseVocabularyFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    start_after = django_filters.DateFilter(
        field_name="start_time", lookup_expr="date__gte", label=_("From"), widget=DATE_INPUT
    )
    start_before = django_filters.DateFilter(
        field_name="start_time", lookup_expr="date__lte", label=_("Until"), widget=DATE_INPUT
    )
    # The terms are set per case (CaseVocabularyFilterSet).
    governorate = django_filters.ModelChoiceFilter(queryset=Governorate.objects.none())
    incident_type = django_filters.ModelChoiceFilter(queryset=IncidentType.objects.none())
    weapon = django_filters.ModelChoiceFilter(
        field_name="weapons", queryset=WeaponType.objects.none(), label=_("Weapon")
    )
    facility = django_filters.ModelChoiceFilter(
        field_name="facilities_hit", queryset=FacilityType.objects.none(), label=_("Facility hit")
    )
    massacre = django_filters.BooleanFilter(field_name="is_massacre", label=_("Massacre"))
    ordering = django_filters.OrderingFilter(
        fields=(("start_time", "date"), ("reference", "reference"), ("civilians_killed", "killed")),
        label=_("Sort by"),
    )

    vocabulary_filters = {
        "governorate": Governorate, "incident_type": IncidentType, "weapon": WeaponType, "facility": FacilityType,
    }  # fmt: skip

    class Meta:
        model = Incident
        fields = []

    def search(self, queryset, name, value):
        return incidents_matching(queryset, value)


def incidents_matching(queryset, words: str):
    """Incidents whose title, reference, locality or description contains the words (pages and API alike)."""
    return queryset.filter(
        Q(title__icontains=words)
        | Q(reference__icontains=words)
        | Q(locality__icontains=words)
        | Q(description__icontains=words)
    )


class VictimFilter(CaseVocabularyFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    status = django_filters.ChoiceFilter(choices=VictimStatus.choices)
    sex = django_filters.ChoiceFilter(choices=Victim._meta.get_field("sex").choices)
    combatant_status = django_filters.ChoiceFilter(choices=Victim._meta.get_field("combatant_status").choices)
    occupation = django_filters.ModelChoiceFilter(queryset=Occupation.objects.none())
    governorate = django_filters.ModelChoiceFilter(
        field_name="incident__governorate", queryset=Governorate.objects.none()
    )
    ordering = django_filters.OrderingFilter(
        fields=(("incident__start_time", "date"), ("name", "name"), ("age", "age")), label=_("Sort by")
    )

    vocabulary_filters = {"occupation": Occupation, "governorate": Governorate}

    class Meta:
        model = Victim
        fields = []
