"""What every API endpoint shares: pagination by position (keyset) and the case check.

Every record belongs to one case, so every endpoint lives under /api/cases/<reference>/ and starts with the
same question the web pages ask: is this person on the case (404 if not, so outsiders learn nothing), and
does their role allow this (403 if not)?
"""

import binascii
import datetime as dt
import json
import uuid
from base64 import b64decode, b64encode
from dataclasses import dataclass
from decimal import Decimal

import django_filters
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, F, Func, OrderBy, Q
from django.http import Http404
from rest_framework import serializers
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler

from casework.cases.models import Case
from casework.cases.selectors import case_get_for_user
from casework.errors import WHOLE_RECORD, EditConflict, Refused


@dataclass(frozen=True)
class SortKey:
    """One term of a list's order: the field path, its direction, and where records without a value go."""

    name: str
    descending: bool
    nullable: bool
    nulls_last: bool = True

    def reversed(self) -> "SortKey":
        return SortKey(self.name, not self.descending, self.nullable, not self.nulls_last)

    def order_by(self):
        if not self.nullable:
            return f"-{self.name}" if self.descending else self.name
        nulls = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return F(self.name).desc(**nulls) if self.descending else F(self.name).asc(**nulls)

    def equal(self, value) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def after(self, value) -> Q | None:
        """The records that come after `value` in this key's order (None: none do)."""
        if value is None:
            return None if self.nulls_last else Q(**{f"{self.name}__isnull": False})
        beyond = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and self.nulls_last:
            beyond |= Q(**{f"{self.name}__isnull": True})
        return beyond

    def bound(self, value) -> Q | None:
        """A condition every record from `value` on meets, that an index on this key can start from."""
        if value is None or (self.nullable and self.nulls_last):
            return None
        return Q(**{f"{self.name}__{'lte' if self.descending else 'gte'}": value})


def _field_of(model, path: str):
    """The field at the end of `path`; its `null` is True if any step of the path may be empty."""
    field, nullable = None, False
    for part in path.split("__"):
        field = model._meta.get_field(part)
        nullable = nullable or field.null
        model = field.related_model or model
    return field, nullable


def _terms(model, terms, prefix: str = "", flip: bool = False, depth: int = 0):
    """(path, descending, nulls_last or None) of each ordering term, a relation replaced by the order of its
    model as the database sorts it (order_by("witness") sorts by the witness's Meta.ordering)."""
    for term in terms:
        if isinstance(term, OrderBy) and isinstance(term.expression, F):
            name, descending = term.expression.name, term.descending
            nulls_last = bool(term.nulls_last) if (term.nulls_last or term.nulls_first) else None
        elif isinstance(term, str):
            name, descending, nulls_last = term.lstrip("-"), term.startswith("-"), None
        else:
            raise ImproperlyConfigured(f"A list ordered by {term!r} cannot be paged by keys.")
        if name == "pk":
            name = model._meta.pk.name
        field, nullable = _field_of(model, name)
        if field.is_relation and field.related_model._meta.ordering and depth < 3 and not name.endswith("_id"):
            related = field.related_model
            yield from _terms(related, related._meta.ordering, f"{prefix}{name}__", flip != descending, depth + 1)
            continue
        if field.is_relation:
            name, field = f"{name}__{field.target_field.name}", field.target_field
        yield f"{prefix}{name}", descending != flip, nullable or field.null, nulls_last


def sort_keys(queryset) -> list[SortKey]:
    """The order of `queryset` as keys, the primary key last so that no two records tie."""
    model = queryset.model
    pk_name = model._meta.pk.name
    keys: list[SortKey] = []
    for name, descending, nullable, nulls_last in _terms(model, list(queryset.query.order_by) or model._meta.ordering):
        if name in (key.name for key in keys):
            continue
        # Unknown values last in either direction unless the ordering said otherwise (StableOrderingFilter's rule).
        keys.append(SortKey(name, descending, nullable, True if nulls_last is None else nulls_last))
        if name == pk_name:
            return keys
    keys.append(SortKey(pk_name, False, False))
    return keys


class _CursorEncoder(json.JSONEncoder):
    """Sort key values, exactly: datetimes with their microseconds (DjangoJSONEncoder drops them)."""

    def default(self, o):
        if isinstance(o, dt.date | dt.time):
            return o.isoformat()
        if isinstance(o, Decimal | uuid.UUID):
            return str(o)
        return super().default(o)


def keyset_condition(keys: list[SortKey], values: list) -> Q:
    """The records after the one whose keys have `values`: for some i, equal on the first i-1 keys and after
    on the i-th; plus a bound on the first key an index can start from."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        after = key.after(value)
        if after is not None:
            condition |= equal_so_far & after
        equal_so_far &= key.equal(value)
    bound = keys[0].bound(values[0])
    return condition & bound if bound is not None else condition


def keyset_segments(keys: list[SortKey], values: list) -> list[Q]:
    """The records after the position as conditions to read one after the other, each an index range.

    With a first key that may be empty, "after" spans the records with a value and those without, which no
    single index range covers (an OR with IS NULL makes the database read the index from its start, as
    OFFSET would). So: first the records on the position's side of the boundary, then, if the page is not
    full, the ones on the other side when they come later (all of them: they follow the whole first part).
    """
    first, value = keys[0], values[0]
    if not first.nullable:
        return [keyset_condition(keys, values)]
    empty = Q(**{f"{first.name}__isnull": True})
    if value is None:
        segments = [empty & keyset_condition(keys[1:], values[1:])]
        return segments if first.nulls_last else [*segments, ~empty]
    known = SortKey(first.name, first.descending, nullable=False)
    segments = [keyset_condition([known, *keys[1:]], values)]
    return [*segments, empty] if first.nulls_last else segments


class KeysetPagination(BasePagination):
    """Pages by position, not by number: `next` and `previous` carry the sort keys of the last (or first)
    record shown, and a page is the records after (before) it in the list's order, found through an index.

    Page 200 costs what page 1 costs, as no record before the page is read or skipped (OFFSET reads and drops
    them), and no record is counted: exact totals are the statistics' job. A record added or removed between
    two requests shifts nothing: no record is shown twice or skipped. The order is the list's `ordering`, the
    primary key breaking ties.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"
    invalid_cursor_message = "Invalid cursor."

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        keys = sort_keys(queryset)
        position, backwards = self.decode_cursor(request, len(keys))
        order = [key.reversed() for key in keys] if backwards else keys
        # Each key's value as the row holds it: a column a values() list reads anyway, else an annotation.
        read = set(queryset.query.values_select)
        self.key_names = [key.name if key.name in read else f"_key{index}" for index, key in enumerate(keys)]
        annotations = {name: F(key.name) for name, key in zip(self.key_names, keys, strict=True) if name not in read}
        queryset = queryset.annotate(**annotations).order_by(*(key.order_by() for key in order))
        segments = [Q()] if position is None else keyset_segments(order, position)
        rows = []
        try:
            for segment in segments:
                rows += list(queryset.filter(segment)[: self.page_size + 1 - len(rows)])
                if len(rows) > self.page_size:
                    break
        except (DjangoValidationError, ValueError, TypeError):
            raise NotFound(self.invalid_cursor_message) from None
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        self.has_next = more if not backwards else position is not None
        self.has_previous = (position is not None) if not backwards else more
        self.first_values = self._values(rows[0]) if rows else None
        self.last_values = self._values(rows[-1]) if rows else None
        if not rows and position is not None:
            # Past the end (or before the start): the way back is the position itself.
            self.has_next, self.has_previous = backwards, not backwards
            self.first_values = self.last_values = position
        return rows

    def _values(self, row) -> list:
        if isinstance(row, dict):  # a list read with values()
            return [row[name] for name in self.key_names]
        return [getattr(row, name) for name in self.key_names]

    def get_page_size(self, request) -> int:
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError):
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def decode_cursor(self, request, key_count: int) -> tuple[list | None, bool]:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None, False
        try:
            decoded = json.loads(b64decode(encoded.encode("ascii"), altchars=b"-_", validate=True))
            position, backwards = decoded["p"], bool(decoded.get("r"))
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
            raise NotFound(self.invalid_cursor_message) from None
        if not isinstance(position, list) or len(position) != key_count:
            raise NotFound(self.invalid_cursor_message)
        return position, backwards

    def encode_cursor(self, values: list, *, backwards: bool) -> str:
        payload = {"p": values, **({"r": 1} if backwards else {})}
        encoded = b64encode(json.dumps(payload, cls=_CursorEncoder).encode(), altchars=b"-_").decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def get_next_link(self) -> str | None:
        if not self.has_next or self.last_values is None:
            return None
        return self.encode_cursor(self.last_values, backwards=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous or self.first_values is None:
            return None
        return self.encode_cursor(self.first_values, backwards=True)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {**link, "description": "The following page; null on the last."},
                "previous": {**link, "description": "The page before; null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: taken from the `next` or `previous` link of a page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Records per page (at most {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]


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


class UtcTimestampText(Func):
    """A time column read as the text of its UTC time ("2025-10-26 07:50:31.000000"), for api_datetime_text.

    Django reads each time through a Python loader (several microseconds a value: three columns of a page of
    50 cost more than the page's query in the database); the text comes through the driver's C loader.
    """

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        return super().as_sql(
            compiler, connection, template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Stored as this text, in UTC; the cast keeps the driver from turning it back into a time.
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)")


# DRF's own field, to write a time exactly as a serializer does (it reads the current time zone when called).
API_DATETIME = serializers.DateTimeField()


def api_datetime_text(text: str | None, zone: dt.tzinfo) -> str | None:
    """A time read with UtcTimestampText, written as DRF's DateTimeField writes it (ISO 8601 in the current time
    zone `zone`, "Z" for UTC), for a list that builds its rows from plain values."""
    if text is None:
        return None
    if getattr(zone, "key", None) == "UTC" or zone is dt.UTC:  # the usual case, in text alone
        day, _, clock = text.partition(" ")
        return f"{day}T{clock.removesuffix('.000000')}Z"
    return API_DATETIME.to_representation(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC))


class ApiFilterSet(django_filters.FilterSet):
    """A filter set of the API: its filters are the same for every request, so the form that checks a request's
    filters is built once per filter set, not for each request as django-filter does (a new form class with a new
    form field per filter, several times a list's own work for the database). A filter set that adjusts its
    filters per request (a case's vocabulary) must not use this."""

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class


class CaseRecordsMixin:
    """A related field that accepts only the records of the case in the serializer's context: `case_path` leads
    from the record to its case. The queryset is narrowed when it is used (validation, a form's choices), so a
    serializer made only to show records builds no queryset. Without a case (the schema) it is left as given.
    """

    def __init__(self, *, case_path: str = "case", **kwargs):
        self.case_path = case_path
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        case = self.context.get("case")
        return queryset if case is None else queryset.filter(**{self.case_path: case})


class CaseRecordPrimaryKeyField(CaseRecordsMixin, serializers.PrimaryKeyRelatedField):
    """A record of the case, by id."""


class CaseRecordSlugField(CaseRecordsMixin, serializers.SlugRelatedField):
    """A record of the case, by a unique field such as its reference."""


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
