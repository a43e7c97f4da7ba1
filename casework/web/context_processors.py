from functools import cache

from casework.cases import access


def case_permissions(request):
    """Lazily answers what the person may do on the case a page is about (for the case navigation)."""

    @cache
    def current_case():
        match = getattr(request, "resolver_match", None)
        reference = match.kwargs.get("reference") if match else None
        if not reference or not request.user.is_authenticated:
            return None
        from casework.cases.selectors import case_already_read

        # The view has read the case (and the person's role) already; ask the database only if it has not.
        known = case_already_read(request.user, reference)
        if known is not None:
            return known
        from casework.cases.models import Case

        return Case.objects.filter(reference=reference).first()

    def allowed(permission):
        def check():
            case = current_case()
            return case is not None and request.user.has_perm(permission, case)

        return check

    def any_statistics():
        from casework.cases.selectors import cases_permitting

        return cases_permitting(request.user, access.VIEW_STATISTICS).exists()

    return {
        "can_view_any_statistics": any_statistics,
        "can_manage_team": allowed(access.MANAGE_TEAM),
        "can_request_bundles": allowed(access.REQUEST_BUNDLE),
        "can_view_statistics": allowed(access.VIEW_STATISTICS),
    }
