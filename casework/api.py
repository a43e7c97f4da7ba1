"""What every API endpoint shares: pagination and the case check.

Every record belongs to one case, so every endpoint lives under /api/cases/<reference>/ and starts with the
same question the web pages ask: is this person on the case (404 if not, so outsiders learn nothing), and
does their role allow this (403 if not)?
"""

from django.http import Http404
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination

from casework.cases.models import Case
from casework.cases.selectors import case_get_for_user


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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

    Subclasses set `read_permission` and `write_permission` (and may override `permission_for_action`).
    """

    read_permission: str
    write_permission: str

    def permission_for_action(self) -> str:
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
