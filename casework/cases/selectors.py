from django.db.models import QuerySet
from django.http import Http404

from casework.cases.models import Case


def cases_visible_to(user) -> QuerySet[Case]:
    """The cases a person may open: the ones whose team they are on (superusers see all)."""
    if not user.is_authenticated:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    return Case.objects.filter(memberships__user=user).distinct()


def case_get_for_user(*, reference: str, user) -> Case:
    """The case, or 404 for a person not on its team: outsiders cannot even learn that it exists."""
    try:
        return cases_visible_to(user).get(reference=reference)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def cases_permitting(user, permission: str) -> QuerySet[Case]:
    """The cases on which a person holds a case permission (e.g. access.VIEW_STATISTICS), in one query."""
    from casework.cases.access import ROLE_PERMISSIONS

    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]
    return Case.objects.filter(memberships__user=user, memberships__role__in=roles).distinct()
