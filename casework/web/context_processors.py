from casework.cases import access


def case_permissions(request):
    """Lazily answers whether the person manages the case a page is about (for the case navigation)."""

    def can_manage_team():
        match = getattr(request, "resolver_match", None)
        reference = match.kwargs.get("reference") if match else None
        if not reference or not request.user.is_authenticated:
            return False
        from casework.cases.models import Case

        case = Case.objects.filter(reference=reference).first()
        return case is not None and request.user.has_perm(access.MANAGE_TEAM, case)

    return {"can_manage_team": can_manage_team}
