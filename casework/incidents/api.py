"""Incidents (with their attributions) and victims through the REST API, under /api/cases/<reference>/."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from casework.api import (
    ApiFilterSet,
    CaseRecordPrimaryKeyField,
    CaseRecordSlugField,
    CaseScopedViewMixin,
    VersionedSerializerMixin,
    VersionedWriteMixin,
    VocabularyField,
)
from casework.cases import access
from casework.incidents import services
from casework.incidents.filters import incidents_matching
from casework.incidents.models import (
    Attribution,
    AttributionConfidence,
    CombatantStatus,
    FacilityType,
    Governorate,
    Incident,
    IncidentType,
    Occupation,
    Party,
    Sex,
    Victim,
    VictimSourceKind,
    VictimStatus,
    WeaponType,
)


class AttributionSerializer(serializers.ModelSerializer):
    party = VocabularyField(Party)

    class Meta:
        model = Attribution
        fields = ["party", "confidence", "basis"]


class IncidentSerializer(VersionedSerializerMixin, serializers.ModelSerializer):
    governorate = VocabularyField(Governorate)
    incident_type = VocabularyField(IncidentType)
    weapons = VocabularyField(WeaponType, many=True, required=False)
    facilities_hit = VocabularyField(FacilityType, many=True, required=False)
    attributions = AttributionSerializer(many=True, required=False)

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "title", "description", "start_time", "end_time", "date_precision", "governorate",
            "district", "locality", "latitude", "longitude", "incident_type", "weapons", "facilities_hit",
            "attributions", "civilians_killed", "children_killed", "adult_women_killed", "injured", "is_massacre",
            "tolls_computed_at", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "civilians_killed", "children_killed", "adult_women_killed", "injured", "is_massacre",
            "tolls_computed_at", "created_at", "updated_at",
        ]  # fmt: skip


class IncidentFilter(ApiFilterSet):
    q = django_filters.CharFilter(method="search", help_text="Words in the title, reference, locality or text.")
    date_from = django_filters.DateFilter(field_name="start_time", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="start_time", lookup_expr="date__lte")
    governorate = django_filters.CharFilter(field_name="governorate__code", help_text="Governorate code.")
    incident_type = django_filters.CharFilter(field_name="incident_type__code", help_text="Incident type code.")
    weapon = django_filters.CharFilter(method="with_weapon", help_text="Weapon code.")
    facility = django_filters.CharFilter(method="with_facility", help_text="Facility type code.")
    party = django_filters.CharFilter(method="with_party", help_text="Code of a party the incident is attributed to.")
    confidence = django_filters.MultipleChoiceFilter(
        field_name="attributions__confidence", choices=AttributionConfidence.choices, distinct=True
    )
    massacre = django_filters.BooleanFilter(field_name="is_massacre")

    class Meta:
        model = Incident
        fields = []

    def search(self, queryset, name, value):
        return incidents_matching(queryset, value)

    # Exists-style filters: an incident with two matching rows is still listed once.
    def with_weapon(self, queryset, name, value):
        return queryset.filter(
            pk__in=Incident.weapons.through.objects.filter(weapontype__code=value).values("incident")
        )

    def with_facility(self, queryset, name, value):
        through = Incident.facilities_hit.through
        return queryset.filter(pk__in=through.objects.filter(facilitytype__code=value).values("incident"))

    def with_party(self, queryset, name, value):
        return queryset.filter(pk__in=Attribution.objects.filter(party__code=value).values("incident"))


class IncidentViewSet(
    CaseScopedViewMixin,
    VersionedWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents of the case. Editing needs the edit-records permission and the version you read."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    ordering_fields = ["start_time", "reference", "civilians_killed", "id"]
    ordering = ["-start_time", "id"]
    lookup_url_kwarg = "incident_id"
    read_permission = access.VIEW_CASE
    write_permission = access.EDIT_RECORDS

    def get_queryset(self):
        return (
            Incident.objects.filter(case=self.case)
            .select_related("governorate", "incident_type")
            .prefetch_related("weapons", "facilities_hit", "attributions__party")
        )

    def write(self, incident, values, expected_version):
        attributions = values.pop("attributions", None)
        return services.incident_write(
            case=self.case,
            actor=self.request.user,
            incident=incident,
            values=values,
            attributions=[dict(attribution) for attribution in attributions] if attributions is not None else None,
            expected_version=expected_version,
        )


class VictimSerializer(serializers.ModelSerializer):
    incident = CaseRecordSlugField(
        slug_field="reference", queryset=Incident.objects.all(), help_text="Reference of an incident of this case."
    )
    occupation = VocabularyField(Occupation, required=False, allow_null=True)
    duplicate_of = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Victim
        fields = [
            "id", "incident", "name", "sex", "age", "age_band", "combatant_status", "status", "occupation",
            "duplicate_of", "notes", "source_name", "source_kind", "source_row",
        ]  # fmt: skip
        read_only_fields = ["source_kind", "source_row"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, Victim):
            self.fields["incident"].read_only = True  # a victim is not moved to another incident


class DuplicateLinkSerializer(serializers.Serializer):
    duplicate_of = CaseRecordPrimaryKeyField(
        queryset=Victim.objects.all(),
        case_path="incident__case",
        allow_null=True,
        help_text="The record this one duplicates (it is then counted once, through that record); null to unlink.",
    )
    confirm = serializers.BooleanField(
        default=False,
        help_text=(
            "true: link even though the cluster would then hold records a reviewer marked as different people "
            "(refused with an error on `confirm` otherwise)."
        ),
    )


class VictimFilter(ApiFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")
    incident = django_filters.CharFilter(field_name="incident__reference", help_text="Incident reference.")
    status = django_filters.ChoiceFilter(choices=VictimStatus.choices)
    sex = django_filters.ChoiceFilter(choices=Sex.choices)
    combatant_status = django_filters.ChoiceFilter(choices=CombatantStatus.choices)
    occupation = django_filters.CharFilter(field_name="occupation__code", help_text="Occupation category code.")
    governorate = django_filters.CharFilter(field_name="incident__governorate__code", help_text="Governorate code.")
    date_from = django_filters.DateFilter(field_name="incident__start_time", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="incident__start_time", lookup_expr="date__lte")
    counted = django_filters.BooleanFilter(
        field_name="duplicate_of", lookup_expr="isnull", help_text="true: leave out records linked as duplicates."
    )

    class Meta:
        model = Victim
        fields = []


class VictimViewSet(
    CaseScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Victims of the case's incidents. The incident's tolls are recomputed in the same transaction as each
    change."""

    serializer_class = VictimSerializer
    filterset_class = VictimFilter
    ordering_fields = ["id", "name", "age", "incident__start_time"]
    ordering = ["id"]
    lookup_url_kwarg = "victim_id"
    read_permission = access.VIEW_CASE
    write_permission = access.EDIT_RECORDS
    action_permissions = {"mark_duplicate": access.REVIEW}

    def get_queryset(self):
        victim_fields = [field.name for field in Victim._meta.concrete_fields]
        return (
            Victim.objects.filter(incident__case=self.case)
            .select_related("incident", "occupation")
            .only(*victim_fields, "incident__reference", "incident__case", "occupation__code")
        )

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        incident = values.pop("incident")
        serializer.instance = services.victim_write(
            actor=self.request.user, values=values, incident=incident, source_kind=VictimSourceKind.API
        )

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        services.victim_write(actor=self.request.user, values=values, victim=serializer.instance)

    def perform_destroy(self, instance):
        services.victim_delete(victim=instance, actor=self.request.user)

    @extend_schema(request=DuplicateLinkSerializer, responses=VictimSerializer)
    @action(detail=True, methods=["post"], url_path="duplicate-of")
    def mark_duplicate(self, request, reference, victim_id):
        """A reviewer links two records of the same person, so the person is counted once."""
        victim = self.get_object()
        link = DuplicateLinkSerializer(data=request.data, context=self.get_serializer_context())
        link.is_valid(raise_exception=True)
        services.victim_mark_duplicate(
            victim=victim,
            same_as=link.validated_data["duplicate_of"],
            actor=request.user,
            confirm=link.validated_data["confirm"],
        )
        return Response(VictimSerializer(victim, context=self.get_serializer_context()).data)
