"""What every API endpoint shares: pagination and the case check.

Every record belongs to one case, so every endpoint lives under /api/cases/<reference>/ and starts with the
same question the web pages ask: is this person on the case (404 if not, so outsiders learn nothing), and
does their role allow this (403 if not)?
"""

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import F
from django.http import Http404
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from casework.cases.models import Case
from casework.cases.selectors import case_get_for_user
from casework.errors import WHOLE_RECORD, EditConflict, Refused


class BoundedCountPaginator(Paginator):
    """Counts the matching records exactly up to a limit; above it the count is None ("more than the limit").

    An exact count over a filtered join (29,000 killed in one governorate, say) costs more than the page itself;
    exact totals are the statistics' job. Without a count, a page is found by fetching it with one row more, which
    also tells whether there is a next page.
    """

    def __init__(self, *args, count_limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_limit = count_limit

    @cached_property
    def count(self) -> int | None:
        if not hasattr(self.object_list, "order_by"):
            return len(self.object_list)
        counted = self.object_list.order_by()[: self.count_limit + 1].count()
        return None if counted > self.count_limit else counted

    @cached_property
    def num_pages(self) -> int | None:
        return None if self.count is None else super().num_pages

    def page(self, number):
        if self.count is not None:
            return super().page(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        self.num_pages = number + 1 if len(rows) > self.per_page else number
        return self._get_page(rows[: self.per_page], number, self)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def django_paginator_class(self, object_list, per_page):
        return BoundedCountPaginator(object_list, per_page, count_limit=settings.CASEWORK_API_EXACT_COUNT_LIMIT)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": f"How many records match; null when more than {settings.CASEWORK_API_EXACT_COUNT_LIMIT:,} "
            "do (follow `next`; the statistics endpoints give exact totals).",
        }
        return response


def api_case(request, reference: str, permission: str) -> Case:
    """The case named in the URL if the person may use `permission` on it; NotFound or PermissionDenied."""
    try:
        case = case_get_for_user(reference=reference, user=request.user)
    except Http404:
        raise NotFound("No such case.") from None
    if not request.user.has_perm(permission, case):
        raise PermissionDenied
    return case


class CaseScopedViewMixin:
    """For views under /api/cases/<reference>/: `self.case` is checked against the permission for the method.

    Subclasses set `read_permission`, `write_permission` and, for actions that need another permission,
    `action_permissions` ({action name: permission}).
    """

    read_permission: str
    write_permission: str
    action_permissions: dict[str, str] = {}
    case: Case | None = None  # set for each request; None only while the schema is generated

    def permission_for_action(self) -> str:
        if self.action in self.action_permissions:
            return self.action_permissions[self.action]
        return self.read_permission if self.request.method in ("GET", "HEAD", "OPTIONS") else self.write_permission

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.case = api_case(request, kwargs["reference"], self.permission_for_action())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["case"] = getattr(self, "case", None)
        return context


class VocabularyField(serializers.SlugRelatedField):
    """A controlled-vocabulary term given by its code, looked up among the terms the case may use."""

    def __init__(self, model, **kwargs):
        self.vocabulary_model = model
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.vocabulary_model.objects.available_for(self.context.get("case"))

    def to_internal_value(self, data):
        # A case may add a term whose code is also a shared code; the case's own term wins.
        matches = sorted(self.get_queryset().filter(code=str(data)), key=lambda term: term.case_id is None)
        if not matches:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        return matches[0]


class RefusedError(APIException):
    """A service's refusal as an API error: 400 with the messages by field, or 409 for an edit conflict."""

    def __init__(self, refusal: Refused):
        self.status_code = refusal.status_code
        if isinstance(refusal, EditConflict):
            super().__init__(str(refusal), code="edit_conflict")
            return
        errors = dict(refusal.errors)
        if WHOLE_RECORD in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(WHOLE_RECORD)
        super().__init__(errors)  # by field, as DRF's own validation errors are


def api_exception_handler(exc, context):
    """DRF's handler, which also answers a service's Refused (400) and EditConflict (409) and a model's
    ValidationError (400), so no view needs its own try/except."""
    if isinstance(exc, Refused):
        exc = RefusedError(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = RefusedError(Refused.from_validation_error(exc))
    return exception_handler(exc, context)


class VersionedWriteMixin:
    """Create and update through the app's service: `write(record, values, expected_version)` returns the saved
    record (`record` is None for a new one); the service's Refused / EditConflict become 400 / 409 and nothing is
    written. Subclasses give `write()`."""

    def perform_create(self, serializer):
        self._save(serializer, None)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def _save(self, serializer, record):
        values = dict(serializer.validated_data)
        expected_version = values.pop("version", None)
        saved = self.write(record, values, expected_version)
        serializer.instance = self.get_queryset().get(pk=saved.pk)  # as stored, with what the list shows


class VersionedSerializerMixin(serializers.Serializer):
    """An edit names the version it started from (`version`, as read); a stale one gets 409 Conflict."""

    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when changing a record."
    )

    def validate(self, attrs):
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError({"version": ["Send the version you read, so no one's edit is lost."]})
        return super().validate(attrs)


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` with two guarantees for paging: records with an unknown value come last in either
    direction, and the id breaks ties, so no record is shown on two pages or on none."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        keys = [self._key(queryset.model, term) for term in ordering]
        if not any(str(term).lstrip("-") in ("id", "pk") for term in ordering):
            keys.append("id")
        return queryset.order_by(*keys)

    @staticmethod
    def _key(model, term: str):
        name = term.lstrip("-")
        field = None
        for part in name.split("__"):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return term
            model = field.related_model or model
        if field is None or not field.null:
            return term  # plain, so that an index in the same order can serve it
        return F(name).desc(nulls_last=True) if term.startswith("-") else F(name).asc(nulls_last=True)
