"""The Django admin answers to cases too: a staff account that is not a superuser sees only the rows of the
cases it is on, and may add, change or delete them only as its role there allows.

`CaseScopedAdmin` goes first among the bases of every ModelAdmin of a case record. It asks the one
permission backend (`casework.cases.access`, through `user.has_perm(permission, case)` and
`cases_permitting`) which case permission each action needs, from `RULES` below. Superusers keep Django's
own answers (and so every restriction a ModelAdmin makes for them, such as append-only records).
"""

from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

from casework.admin_writes import ALL_WRITES
from casework.cases import access
from casework.cases.models import Case
from casework.cases.selectors import cases_permitting


@dataclass(frozen=True)
class ScopeRule:
    """Which case permission each admin action needs on a row's case; None: never, for a non-superuser."""

    view: str = access.VIEW_CASE
    add: str | None = None
    change: str | None = None
    delete: str | None = None
    # Fields that record a review decision: changed only by people who may review in the row's case, and by
    # them even where their role may not edit records (a reviewer marks a duplicate or a graphic image).
    review_fields: frozenset[str] = field(default_factory=frozenset)
    # Rows without a case are shared by every case (vocabulary terms): anyone on a case may read them.
    shared_without_case: bool = False


EDITABLE = ScopeRule(add=access.EDIT_RECORDS, change=access.EDIT_RECORDS, delete=access.EDIT_RECORDS)
READ_ONLY = ScopeRule()
# A case admin adds terms to a case's vocabularies; the shared, seeded terms are the superusers' to change.
VOCABULARY = ScopeRule(
    add=access.MANAGE_TEAM, change=access.MANAGE_TEAM, delete=access.MANAGE_TEAM, shared_without_case=True
)

RULES: dict[str, ScopeRule] = {
    "cases.case": ScopeRule(change=access.MANAGE_TEAM),
    "cases.casemembership": ScopeRule(add=access.MANAGE_TEAM, change=access.MANAGE_TEAM, delete=access.MANAGE_TEAM),
    "incidents.incident": EDITABLE,
    "incidents.attribution": EDITABLE,
    "incidents.victim": ScopeRule(
        add=access.EDIT_RECORDS,
        change=access.EDIT_RECORDS,
        delete=access.EDIT_RECORDS,
        review_fields=frozenset({"duplicate_of"}),
    ),
    **{
        f"incidents.{name}": VOCABULARY
        for name in ("governorate", "incidenttype", "weapontype", "facilitytype", "occupation", "party")
    },
    "witnesses.witness": EDITABLE,
    "witnesses.consent": EDITABLE,
    "witnesses.testimony": EDITABLE,
    "witnesses.testimonytranslation": EDITABLE,
    # Which identity fields changed and who changed them: for the case admins, as the audit log is.
    "witnesses.witnessidentitychange": ScopeRule(view=access.MANAGE_TEAM),
    "incidents.spreadsheetimport": READ_ONLY,
    # Tolls derived from the victims, written by the incident services only.
    "incidents.incidentoccupationtoll": READ_ONLY,
    "incidents.incidentmonthrollup": READ_ONLY,
    "incidents.rollupweapon": READ_ONLY,
    "incidents.rollupfacility": READ_ONLY,
    "incidents.rollupoccupation": READ_ONLY,
    # Record linkage: candidates are derived by the search, decisions are taken on the linkage page (audited).
    "incidents.linkcandidate": READ_ONLY,
    "incidents.linkdecision": READ_ONLY,
    "evidence.mediaarrival": ScopeRule(view=access.VIEW_MEDIA),
    # Evidence enters only through intake and is withdrawn, never deleted.
    "evidence.mediaitem": ScopeRule(change=access.EDIT_RECORDS, review_fields=frozenset({"is_graphic"})),
    "evidence.nearduplicate": ScopeRule(review_fields=frozenset({"status"})),
    "evidence.custodyevent": READ_ONLY,
    # The near-duplicate search's index, derived from the items' hashes by the processing service only.
    "evidence.mediaperceptualhash": READ_ONLY,
    # A packet's record says what left the organisation, for whom: only its worker writes it.
    "bundles.evidencebundle": READ_ONLY,
    # The audit log is the case admins' to read, as on the case's audit page.
    "audit.auditevent": ScopeRule(view=access.MANAGE_TEAM),
}


def case_path_for(model: type[models.Model]) -> str:
    """The lookup from `model` to its case: "pk" for Case, "case", or "<parent>__case" through a required
    foreign key to a model that has a required case (a victim's incident, a consent's witness)."""
    if model is Case:
        return "pk"
    try:
        own = model._meta.get_field("case")
    except FieldDoesNotExist:
        own = None
    if own is not None and own.many_to_one and own.related_model is Case:
        return "case"
    for parent in model._meta.concrete_fields:
        if not parent.many_to_one or parent.null:
            continue
        try:
            parent_case = parent.related_model._meta.get_field("case")
        except FieldDoesNotExist:
            continue
        if parent_case.many_to_one and parent_case.related_model is Case and not parent_case.null:
            return f"{parent.name}__case"
    raise ImproperlyConfigured(f"{model._meta.label} has no path to a case; set case_path on its admin.")


def _case_ids(request, permission: str) -> frozenset[int]:
    """The cases on which the signed-in person holds `permission`, read once per request."""
    cache = request.__dict__.setdefault("_admin_case_ids", {})
    if permission not in cache:
        cache[permission] = frozenset(cases_permitting(request.user, permission).values_list("pk", flat=True))
    return cache[permission]


class _Scope:
    """What CaseScopedAdmin and its inlines share: a model's rule and case path, and the question "may this
    person do this to this row?"."""

    case_path: str | None = None
    scope_rule: ScopeRule | None = None

    def get_scope_rule(self) -> ScopeRule:
        if self.scope_rule is not None:
            return self.scope_rule
        try:
            return RULES[self.model._meta.label_lower]
        except KeyError:
            raise ImproperlyConfigured(
                f"casework.cases.admin_scope.RULES has no rule for {self.model._meta.label}"
            ) from None

    def get_case_path(self) -> str:
        return self.case_path or case_path_for(self.model)

    def case_of_row(self, obj) -> Case | None:
        path = self.get_case_path()
        if path == "pk":
            return obj
        for name in path.split("__"):
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return obj

    def case_of_form(self, obj) -> Case | None:
        """The case of the row a change form is for (None on an add page)."""
        return self.case_of_row(obj) if obj is not None else None

    def scope_allows(self, request, action: str, obj=None) -> bool:
        """Whether the non-superuser may do `action` ("view", "add", "change", "delete") to `obj`, or to some
        row when `obj` is None. Change is also allowed where only the review fields can be changed."""
        if action != "view" and action not in getattr(self, "admin_writes", ALL_WRITES):
            return False  # the admin itself never does this (a read-only or service-written admin)
        rule = self.get_scope_rule()
        permissions = [getattr(rule, action)]
        if action == "change" and rule.review_fields:
            permissions.append(access.REVIEW)
        permissions = [permission for permission in permissions if permission is not None]
        if not permissions or not (request.user.is_active and request.user.is_staff):
            return False
        if obj is None:
            return any(_case_ids(request, permission) for permission in permissions)
        case = self.case_of_row(obj)
        if case is None:
            return action == "view" and rule.shared_without_case and bool(_case_ids(request, rule.view))
        return any(request.user.has_perm(permission, case) for permission in permissions)

    def scoped_rows(self, request, queryset: models.QuerySet) -> models.QuerySet:
        rule = self.get_scope_rule()
        path = self.get_case_path()
        in_my_cases = Q(**{f"{path}__in": _case_ids(request, rule.view)})
        if rule.shared_without_case:
            in_my_cases |= Q(**{f"{path}__isnull": True})
        return queryset.filter(in_my_cases)

    def writable_case_ids(self, request, field_name: str) -> frozenset[int]:
        """The cases in which this person may set `field_name` to a row of that case."""
        rule = self.get_scope_rule()
        if field_name in rule.review_fields:
            return _case_ids(request, access.REVIEW)
        permissions = [permission for permission in (rule.change, rule.add) if permission is not None]
        return frozenset().union(*(_case_ids(request, permission) for permission in permissions))

    def scoped_choices(self, request, db_field, queryset: models.QuerySet) -> models.QuerySet:
        """Limit the choices of a foreign key or many-to-many field to what belongs to this person's cases."""
        related = db_field.related_model
        case_ids = self.writable_case_ids(request, db_field.name)
        if related is Case:
            return queryset.filter(pk__in=case_ids)
        if related is get_user_model():
            if self.model._meta.label_lower == "cases.casemembership":
                # A case admin adds colleagues who are on none of their cases yet.
                return queryset.filter(is_active=True)
            return queryset.filter(memberships__case__in=_case_ids(request, access.VIEW_CASE)).distinct()
        related_rule = RULES.get(related._meta.label_lower)
        if related_rule is None:
            return queryset
        path = case_path_for(related)
        in_my_cases = Q(**{f"{path}__in": case_ids})
        if related_rule.shared_without_case:
            in_my_cases |= Q(**{f"{path}__isnull": True})
        return queryset.filter(in_my_cases)

    def _scoped_formfield_kwargs(self, db_field, request, kwargs: dict) -> dict:
        if request.user.is_superuser or "queryset" in kwargs:
            return kwargs
        queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(kwargs.get("using"))
        return {**kwargs, "queryset": self.scoped_choices(request, db_field, queryset)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(
            db_field, request, **self._scoped_formfield_kwargs(db_field, request, kwargs)
        )
        if formfield is not None and not request.user.is_superuser and db_field.related_model is Case:
            # An empty case would make a shared row (a vocabulary term), which is for superusers.
            formfield.required = True
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **self._scoped_formfield_kwargs(db_field, request, kwargs)
        )

    def get_autocomplete_fields(self, request):
        fields = super().get_autocomplete_fields(request)
        if request.user.is_superuser:
            return fields
        # The autocomplete view answers from the related model's admin; only case-scoped ones are open to
        # non-superusers (people are chosen from a plain list limited as above).
        return [name for name in fields if self.model._meta.get_field(name).related_model._meta.label_lower in RULES]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        rule = self.get_scope_rule()
        case = self.case_of_form(obj)
        may_review = case is not None and request.user.has_perm(access.REVIEW, case)
        if not may_review:
            readonly += sorted(rule.review_fields)
        elif rule.change is None or not request.user.has_perm(rule.change, case):
            # A reviewer who may not edit records changes the review fields and nothing else.
            excluded = set(self.get_exclude(request, obj) or ())
            readonly += [
                model_field.name
                for model_field in self.model._meta.get_fields()
                if getattr(model_field, "editable", False)
                and (model_field.concrete or model_field.many_to_many)
                and not model_field.auto_created
                and model_field.name not in rule.review_fields
                and model_field.name not in excluded
            ]
        return list(dict.fromkeys(readonly))


class _CaseScopedInline(_Scope):
    """Permissions of an inline, answered for the case of the row it is shown in."""

    def case_of_form(self, obj) -> Case | None:
        # An inline's methods receive the row of the page it is shown in.
        return self.parent_scope.case_of_row(obj) if obj is not None else None

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self.parent_scope.inline_allows(request, self, "view", obj)

    def has_add_permission(self, request, obj):
        if request.user.is_superuser:
            return super().has_add_permission(request, obj)
        return self.parent_scope.inline_allows(request, self, "add", obj)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self.parent_scope.inline_allows(request, self, "change", obj)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self.parent_scope.inline_allows(request, self, "delete", obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else self.scoped_rows(request, queryset)


class CaseScopedAdmin(_Scope):
    """A ModelAdmin mixin (first among the bases): rows, actions and choices limited to the person's cases.

    `case_path` ("case", "incident__case", "witness__case") is found from the model unless set; the actions
    each role may take are in RULES. Rows of other cases answer 404 on every page, as elsewhere in Casework.
    """

    _scoped_inline_classes: dict = {}

    # Rows.
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else self.scoped_rows(request, queryset)

    def _404_unless_in_scope(self, request, object_id: str) -> None:
        if request.user.is_superuser:
            return
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        if not self.get_queryset(request).filter(pk=pk).exists():
            raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._404_unless_in_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._404_unless_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history would otherwise fall back to the row's last historical version.
        self._404_unless_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._404_unless_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    # Permissions.
    def has_module_permission(self, request):
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return self.scope_allows(request, "view")

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self.scope_allows(request, "view", obj)

    def has_add_permission(self, request, *args):
        if request.user.is_superuser:
            return super().has_add_permission(request, *args)
        return self.scope_allows(request, "add")

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self.scope_allows(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self.scope_allows(request, "delete", obj)

    def save_model(self, request, obj, form, change):
        # The form offered only this person's cases; this holds even if a form forgot to.
        if not request.user.is_superuser and not self.scope_allows(request, "change" if change else "add", obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    # Filters: a relation filter lists only the values found in the rows this person sees.
    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [self._scoped_filter(entry) for entry in filters]

    def _scoped_filter(self, entry):
        if not isinstance(entry, str):
            return entry
        try:
            last = get_fields_from_path(self.model, entry)[-1]
        except (FieldDoesNotExist, LookupError):
            return entry
        return (entry, admin.RelatedOnlyFieldListFilter) if last.is_relation else entry

    # Inlines: the same rules, asked for the case of the row the inline is shown in.
    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        return inlines if request.user.is_superuser else [self._scoped_inline(inline) for inline in inlines]

    def _scoped_inline(self, inline_class):
        key = (type(self), inline_class)
        if key not in CaseScopedAdmin._scoped_inline_classes:
            CaseScopedAdmin._scoped_inline_classes[key] = type(
                f"CaseScoped{inline_class.__name__}",
                (_CaseScopedInline, inline_class),
                {"parent_scope": self},
            )
        return CaseScopedAdmin._scoped_inline_classes[key]

    def inline_allows(self, request, inline: _Scope, action: str, parent_obj) -> bool:
        """May the person do `action` to rows of `inline` shown in `parent_obj` (None: on the add page)?"""
        permission = getattr(inline.get_scope_rule(), action)
        if permission is None or not (request.user.is_active and request.user.is_staff):
            return False
        if parent_obj is None:
            return bool(_case_ids(request, permission))
        case = self.case_of_row(parent_obj)
        return case is not None and request.user.has_perm(permission, case)
