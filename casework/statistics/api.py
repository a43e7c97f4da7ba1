"""Statistics over the API: the same figures as the page, each with a link to the records behind it.

Both views answer 403 to a person who may see statistics of no case and 404 for a `case` they may not see
statistics of, like the page; bad parameters are 400 with the errors by field.
"""

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api import KeysetPagination
from casework.incidents.models import AttributionConfidence, Incident, Victim
from casework.statistics.selectors import (
    MEASURES,
    BadParameter,
    Figure,
    StatisticsFilter,
    StatisticsFilterForm,
    StatisticsSummary,
    breakdown_from_params,
    records_behind,
    statistics_filter_form,
    statistics_summary,
)

FILTER_PARAMETERS = [
    OpenApiParameter(
        "case", str, description="Reference of one case; all the cases you may see statistics of if absent."
    ),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Incidents starting on or after this day."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Incidents starting on or before this day."),
    OpenApiParameter("party", str, description="Party code: incidents attributed to this party."),
    OpenApiParameter("governorate", str, description="Governorate code."),
    OpenApiParameter(
        "confidence",
        str,
        many=True,
        enum=AttributionConfidence.values,
        explode=True,
        description="Attribution confidence, repeatable; with party, the same attribution must match both.",
    ),
    OpenApiParameter(
        "massacre_min", int, description="Civilians killed that make a massacre (default from the settings)."
    ),
]
RECORDS_PARAMETERS = [
    OpenApiParameter("measure", str, required=True, enum=list(MEASURES), description="The figure."),
    OpenApiParameter("occupation", str, description='Occupation code, or "none" (killed_by_occupation ...).'),
    OpenApiParameter("facility", str, description="Facility type code (facility_incidents)."),
    OpenApiParameter("weapon", str, description="Weapon type code (weapon_incidents)."),
    OpenApiParameter("month", str, description="YYYY-MM, month of the incident start (monthly_...)."),
    OpenApiParameter("cursor", str, description="Where the page starts: from the `next` or `previous` link."),
    OpenApiParameter("page_size", int, description="Records per page (at most 500)."),
]


def _filter_from(request) -> tuple[StatisticsFilterForm, StatisticsFilter]:
    form = statistics_filter_form(request.user, request.query_params)
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return form, form.statistics_filter()


class StatisticsFigureSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    measure = serializers.CharField()
    breakdown = serializers.DictField(child=serializers.CharField())
    records = serializers.URLField()  # the API URL of the records behind the figure, with the same filters


class StatisticsTotalsSerializer(serializers.Serializer):
    incidents = StatisticsFigureSerializer()
    civilians_killed = StatisticsFigureSerializer()
    children_killed = StatisticsFigureSerializer()
    adult_women_killed = StatisticsFigureSerializer()
    massacres = StatisticsFigureSerializer()
    injured = StatisticsFigureSerializer(
        help_text="Everyone injured, whatever their civilian status (as the incident tolls)."
    )
    civilians_injured = StatisticsFigureSerializer()


class StatisticsOccupationFiguresSerializer(serializers.Serializer):
    killed = StatisticsFigureSerializer(help_text="Civilians killed.")
    adult_women_killed = StatisticsFigureSerializer(help_text="Of them, women 18 or over.")
    girls_killed = StatisticsFigureSerializer(help_text="Of them, girls (female, under 18).")


class StatisticsOccupationRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    highlighted = serializers.BooleanField()
    figures = StatisticsOccupationFiguresSerializer()


class StatisticsIncidentsFiguresSerializer(serializers.Serializer):
    incidents = StatisticsFigureSerializer()


class StatisticsFacilityRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    figures = StatisticsIncidentsFiguresSerializer()


class StatisticsWeaponRowSerializer(StatisticsFacilityRowSerializer):
    highlighted = serializers.BooleanField()


class StatisticsGovernorateRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    incidents = StatisticsFigureSerializer()
    weapons = serializers.DictField(child=StatisticsFigureSerializer(), read_only=True)


class StatisticsMonthlyFiguresSerializer(serializers.Serializer):
    incidents = StatisticsFigureSerializer()
    civilians_killed = StatisticsFigureSerializer()
    children_killed = StatisticsFigureSerializer()
    adult_women_killed = StatisticsFigureSerializer()


class StatisticsMonthRowSerializer(serializers.Serializer):
    month = serializers.CharField(source="code")
    figures = StatisticsMonthlyFiguresSerializer()


# The response schema of StatisticsView, which builds the same shape as plain data (statistics_data). No
# docstring: it would become the schema's description.
class StatisticsSerializer(serializers.Serializer):
    massacre_min = serializers.IntegerField()
    cases = serializers.ListField(child=serializers.CharField(), read_only=True)
    totals = StatisticsTotalsSerializer()
    occupations = StatisticsOccupationRowSerializer(many=True)
    facilities = StatisticsFacilityRowSerializer(many=True)
    weapons = StatisticsWeaponRowSerializer(many=True)
    governorates = StatisticsGovernorateRowSerializer(many=True)
    monthly = StatisticsMonthRowSerializer(many=True)


def statistics_data(summary: StatisticsSummary, *, records_url: str, case_references: list[str]) -> dict:
    """The summary in the shape of StatisticsSerializer, each figure with the absolute URL of its records.

    Built directly rather than through the serializers: a summary holds some two thousand figures, and a
    nested serializer, a reverse() and a QueryDict copy per figure cost more than the queries.
    """
    filter_query = summary.filters.as_query()
    filter_params = {key: filter_query.getlist(key) for key in filter_query}

    def figure_data(figure: Figure) -> dict:
        params = {**filter_params, "measure": [figure.measure]}
        for key, value in figure.breakdown.items():
            params[key] = [value]
        query = urlencode([(key, value) for key, values in params.items() for value in values])
        return {
            "value": figure.value,
            "measure": figure.measure,
            "breakdown": dict(figure.breakdown),
            "records": f"{records_url}?{query}",
        }

    def figures_data(row) -> dict:
        return {key: figure_data(figure) for key, figure in row.figures.items()}

    return {
        "massacre_min": summary.filters.massacre_min,
        "cases": case_references,
        "totals": {key: figure_data(figure) for key, figure in summary.totals.items()},
        "occupations": [
            {"code": row.code, "label": str(row.label), "highlighted": row.highlighted, "figures": figures_data(row)}
            for row in summary.occupations
        ],
        "facilities": [
            {"code": row.code, "label": str(row.label), "figures": figures_data(row)} for row in summary.facilities
        ],
        "weapons": [
            {"code": row.code, "label": str(row.label), "figures": figures_data(row), "highlighted": row.highlighted}
            for row in summary.weapons
        ],
        "governorates": [
            {
                "code": row.code,
                "label": str(row.label),
                "incidents": figure_data(row.figures["incidents"]),
                "weapons": {code: figure_data(figure) for code, figure in row.figures.items() if code != "incidents"},
            }
            for row in summary.governorates
        ],
        "monthly": [{"month": row.code, "figures": figures_data(row)} for row in summary.monthly],
    }


class StatisticsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=StatisticsSerializer,
        summary="Tolls of your cases",
        description="Civilians killed, children, adult women, massacres, injured, occupations, vital "
        "facilities, governorate × weapon and a monthly series; each figure links to its records.",
    )
    def get(self, request):
        form, filters = _filter_from(request)
        summary = statistics_summary(filters)
        data = statistics_data(
            summary,
            # Built once: per figure, only the query string differs.
            records_url=request.build_absolute_uri(reverse("api:statistics_records")),
            case_references=[case.reference for case in form.cases if case.pk in filters.case_ids],
        )
        return Response(data)


class StatisticsVictimSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="incident.case.reference")
    incident = serializers.CharField(source="incident.reference")
    incident_id = serializers.IntegerField()
    occupation = serializers.CharField(source="occupation.code", allow_null=True, default=None)
    # Plain text, not an enum: a second enum component for the victim status would make drf-spectacular
    # rename the one the victim endpoints already use.
    status = serializers.CharField(help_text="killed, injured, missing or detained.")

    class Meta:
        model = Victim
        fields = [
            "id", "case", "incident", "incident_id", "name", "sex", "age", "age_band", "combatant_status", "status",
            "occupation", "duplicate_of",
        ]  # fmt: skip
        read_only_fields = fields


class StatisticsIncidentSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference")
    governorate = serializers.CharField(source="governorate.code")

    class Meta:
        model = Incident
        fields = ["id", "case", "reference", "title", "start_time", "governorate"]
        read_only_fields = fields


class StatisticsRecordsPageSerializer(serializers.Serializer):
    """A page of the records behind a figure; the figure itself is their number."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PolymorphicProxySerializer(
        component_name="StatisticsRecord",
        serializers=[StatisticsVictimSerializer, StatisticsIncidentSerializer],
        resource_type_field_name=None,
        many=True,
    )


class StatisticsRecordsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=FILTER_PARAMETERS + RECORDS_PARAMETERS,
        responses=StatisticsRecordsPageSerializer,
        summary="The records behind a figure",
        description="Victims (for victim measures) or incidents, exactly the ones counted in the figure.",
    )
    def get(self, request):
        _form, filters = _filter_from(request)
        try:
            measure, breakdown = breakdown_from_params(request.query_params, filters)
        except BadParameter as error:
            raise ValidationError({error.field: [error.message]}) from None
        queryset = records_behind(measure, filters, **breakdown)
        serializer_class = (
            StatisticsVictimSerializer if MEASURES[measure].records == "victims" else StatisticsIncidentSerializer
        )
        paginator = KeysetPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)
