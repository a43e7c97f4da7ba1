"""The one place that decides who may do what on a case.

Plugged into Django's permission machinery as an authentication backend, so views, the API and the admin
all ask the same question: `user.has_perm("cases.upload_media", case)`. Permissions are granted by a
person's role on the case's team; superusers are the only global exception.

Creating a case is the one permission that belongs to no case: `CREATE_CASE`, asked without an object
(`user.has_perm(access.CREATE_CASE)`), held by superusers and by organisation admins (see below).
"""

from django.contrib.auth.backends import BaseBackend

from casework.cases.models import Case, CaseMembership, CaseRole

VIEW_CASE = "cases.view_case"
EDIT_RECORDS = "cases.edit_records"
UPLOAD_MEDIA = "cases.upload_media"
VIEW_MEDIA = "cases.view_media"
REVIEW = "cases.review"
VIEW_STATISTICS = "cases.view_statistics"
REQUEST_BUNDLE = "cases.request_bundle"
REVEAL_IDENTITY = "cases.reveal_identity"
MANAGE_TEAM = "cases.manage_team"

# Organisation admins: people who may open new cases (and name each one's first case admin) without being
# superusers. Django's own "add case" permission, given to a person or to a group ("Organisation admins") on
# the user and group pages of the Django admin, and answered by Django's ModelBackend: no table of our own,
# and it grants nothing inside any case (the case roles below do that).
CREATE_CASE = "cases.add_case"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    CaseRole.INTAKE: frozenset({VIEW_CASE, EDIT_RECORDS, UPLOAD_MEDIA, VIEW_MEDIA}),
    CaseRole.REVIEWER: frozenset({VIEW_CASE, VIEW_MEDIA, REVIEW}),
    CaseRole.ANALYST: frozenset({VIEW_CASE, VIEW_MEDIA, VIEW_STATISTICS, REQUEST_BUNDLE}),
    CaseRole.CASE_ADMIN: frozenset(
        {
            VIEW_CASE,
            EDIT_RECORDS,
            UPLOAD_MEDIA,
            VIEW_MEDIA,
            REVIEW,
            VIEW_STATISTICS,
            REQUEST_BUNDLE,
            REVEAL_IDENTITY,
            MANAGE_TEAM,
        }
    ),
}
CASE_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())


def case_of(obj) -> Case | None:
    if isinstance(obj, Case):
        return obj
    case = getattr(obj, "case", None)
    if isinstance(case, Case):
        return case
    incident = getattr(obj, "incident", None)
    return getattr(incident, "case", None)


def role_on(user, case: Case) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    cache = getattr(user, "_case_roles", None)
    if cache is None:
        cache = user._case_roles = {}
    if case.pk not in cache:
        cache[case.pk] = CaseMembership.objects.filter(case=case, user=user).values_list("role", flat=True).first()
    return cache[case.pk]


def remember_role(user, case: Case, role: str | None) -> None:
    """Record a role already read with the case, so the permission checks that follow need no query."""
    cache = getattr(user, "_case_roles", None)
    if cache is None:
        cache = user._case_roles = {}
    cache[case.pk] = role


class CaseRoleBackend(BaseBackend):
    """Answers case-scoped permissions for an object (a case or anything that belongs to one)."""

    def has_perm(self, user_obj, perm, obj=None):
        if perm not in CASE_PERMISSIONS or obj is None:
            return False
        if not user_obj.is_active:
            return False
        if user_obj.is_superuser:
            return True
        case = case_of(obj)
        if case is None:
            return False
        role = role_on(user_obj, case)
        return role is not None and perm in ROLE_PERMISSIONS[role]
