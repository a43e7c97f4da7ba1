from functools import cache

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from casework.cases.access import ROLE_PERMISSIONS, remember_role
from casework.cases.models import Case, CaseMembership


def cases_visible_to(user) -> QuerySet[Case]:
    """The cases a person may open: the ones whose team they are on (superusers see all)."""
    if not user.is_authenticated:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    return Case.objects.filter(memberships__user=user).distinct()


def with_viewer_role(cases: QuerySet[Case], user) -> QuerySet[Case]:
    """The cases, each with `viewer_role`: the person's role on its team, or None."""
    # At most one membership per person and case (a unique constraint), so no ORDER BY: the model's ordering would
    # join the case table into the subquery, for every case and every request.
    role = CaseMembership.objects.filter(case=OuterRef("pk"), user=user.pk).order_by().values("role")[:1]
    return cases.annotate(viewer_role=Subquery(role))


def case_get_for_user(*, reference: str, user) -> Case:
    """The case, or 404 for a person not on its team: outsiders cannot even learn that it exists.

    The person's role is read in the same query and remembered for the permission checks that follow.
    """
    if not user.is_authenticated or not user.is_active:
        raise Http404("No such case.")
    case = next(iter(Case.objects.raw(_case_with_viewer_role_sql(), [user.pk, reference])), None)
    if case is None or (case.viewer_role is None and not user.is_superuser):
        raise Http404("No such case.")
    remember_role(user, case, case.viewer_role)
    user._cases_read = {**getattr(user, "_cases_read", {}), reference: case}
    return case


@cache
def _case_with_viewer_role_sql() -> str:
    """with_viewer_role for one case by reference, in SQL: every case-scoped page and API request starts with
    it, and the ORM spent four times the database's work building that query (a filter, a subquery, a
    correlated reference) for each request."""
    memberships, cases = CaseMembership._meta.db_table, Case._meta.db_table
    return (
        f"SELECT c.*, (SELECT m.role FROM {memberships} m WHERE m.case_id = c.id AND m.user_id = %s) AS viewer_role"
        f" FROM {cases} c WHERE c.reference = %s"  # noqa: S608 (table names from the models; values as parameters)
    )


def case_already_read(user, reference: str) -> Case | None:
    """The case `case_get_for_user` gave this person during this request, if it did (no query)."""
    return getattr(user, "_cases_read", {}).get(reference)


def cases_permitting(user, permission: str) -> QuerySet[Case]:
    """The cases on which a person holds a case permission (e.g. access.VIEW_STATISTICS), in one query."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]
    return Case.objects.filter(memberships__user=user, memberships__role__in=roles).distinct()
