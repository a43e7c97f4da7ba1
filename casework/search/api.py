"""Case search over the API: GET /api/cases/<reference>/search/?q=...&kind=...; the page's search and filters.

404 for a case the person is not on (like every case endpoint), 400 with the errors by field for bad
parameters. Pages by number (`page`, `page_size`): results are ordered by relevance, which has no stable key
to continue from.
"""

from django.core.paginator import EmptyPage, Paginator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from casework.api import api_case
from casework.cases import access
from casework.search.forms import SearchForm
from casework.search.models import RecordKind
from casework.search.selectors import COUNT_LIMIT, search_entries, search_hits

MAX_PAGE_SIZE = 100


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RecordKind.choices)
    id = serializers.IntegerField(source="record.pk")
    label = serializers.CharField()
    url = serializers.CharField(help_text="The record's page.")
    date = serializers.DateField(source="day", allow_null=True)
    snippet = serializers.CharField(help_text="HTML: the text around the match, escaped, matches in <mark>.")


class SearchResultsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=f"Matches, counted up to {COUNT_LIMIT + 1}.")
    more = serializers.BooleanField(help_text=f"More than {COUNT_LIMIT} records match (count is capped).")
    ranked = serializers.BooleanField(help_text="Ordered by relevance; otherwise newest first.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchHitSerializer(many=True)


class SearchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description='Words, "a phrase", or words joined by or.'),
            OpenApiParameter("kind", str, many=True, explode=True, enum=RecordKind.values),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("governorate", str, description="Governorate code."),
            OpenApiParameter("status", str, description="Testimony review status (testimonies only)."),
            OpenApiParameter("verification", str, description="Media verification status (media only)."),
            OpenApiParameter("has_gps", str, enum=["yes", "no"], description="Incidents and media only."),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description=f"At most {MAX_PAGE_SIZE}."),
        ],
        responses=SearchResultsSerializer,
    )
    def get(self, request, reference: str):
        case = api_case(request, reference, access.VIEW_CASE)
        form = SearchForm(request.query_params, case=case)
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        filters = form.filters()
        try:
            page_size = min(max(int(request.query_params.get("page_size", 20)), 1), MAX_PAGE_SIZE)
            number = int(request.query_params.get("page", 1))
        except ValueError:
            raise ValidationError({"page": ["A whole number."]}) from None
        results = search_entries(case=case, user=request.user, filters=filters)
        paginator = Paginator(results.rows, page_size)
        try:
            page = paginator.page(number)
        except EmptyPage:
            raise ValidationError({"page": ["No such page."]}) from None
        url = request.build_absolute_uri()
        data = {
            "count": results.count,
            "more": results.more_than_limit,
            "ranked": results.ranked,
            "next": replace_query_param(url, "page", number + 1) if page.has_next() else None,
            "previous": replace_query_param(url, "page", number - 1) if page.has_previous() else None,
            "results": SearchHitSerializer(
                search_hits(case=case, entries=page.object_list, filters=filters), many=True
            ).data,
        }
        return Response(data)
