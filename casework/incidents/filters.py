import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.incidents.models import (
    FacilityType,
    Governorate,
    Incident,
    IncidentType,
    Occupation,
    Victim,
    VictimStatus,
    WeaponType,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    start_after = django_filters.DateFilter(
        field_name="start_time", lookup_expr="date__gte", label=_("From"), widget=DATE_INPUT
    )
    start_before = django_filters.DateFilter(
        field_name="start_time", lookup_expr="date__lte", label=_("Until"), widget=DATE_INPUT
    )
    governorate = django_filters.ModelChoiceFilter(queryset=Governorate.objects.filter(is_active=True))
    incident_type = django_filters.ModelChoiceFilter(queryset=IncidentType.objects.filter(is_active=True))
    weapon = django_filters.ModelChoiceFilter(
        field_name="weapons", queryset=WeaponType.objects.filter(is_active=True), label=_("Weapon")
    )
    facility = django_filters.ModelChoiceFilter(
        field_name="facilities_hit", queryset=FacilityType.objects.filter(is_active=True), label=_("Facility hit")
    )
    massacre = django_filters.BooleanFilter(field_name="is_massacre", label=_("Massacre"))
    ordering = django_filters.OrderingFilter(
        fields=(("start_time", "date"), ("reference", "reference"), ("civilians_killed", "killed")),
        label=_("Sort by"),
    )

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


class VictimFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    status = django_filters.ChoiceFilter(choices=VictimStatus.choices)
    sex = django_filters.ChoiceFilter(choices=Victim._meta.get_field("sex").choices)
    combatant_status = django_filters.ChoiceFilter(choices=Victim._meta.get_field("combatant_status").choices)
    occupation = django_filters.ModelChoiceFilter(queryset=Occupation.objects.filter(is_active=True))
    governorate = django_filters.ModelChoiceFilter(
        field_name="incident__governorate", queryset=Governorate.objects.filter(is_active=True)
    )
    ordering = django_filters.OrderingFilter(
        fields=(("incident__start_time", "date"), ("name", "name"), ("age", "age")), label=_("Sort by")
    )

    class Meta:
        model = Victim
        fields = []
