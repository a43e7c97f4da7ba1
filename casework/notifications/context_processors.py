from functools import cache


def work_counts(request):
    """For the navigation: unread notifications and records waiting for the person's review (and those of the
    case a page is about), read in one query, and only if the page shows them."""

    @cache
    def counts():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return {}
        from casework.cases.selectors import case_already_read
        from casework.notifications.selectors import work_counts as read_counts

        match = getattr(request, "resolver_match", None)
        reference = match.kwargs.get("reference") if match else None
        # Only a case the view has read for this person (so one they may see): no query of its own.
        case = case_already_read(user, reference) if reference else None
        return read_counts(user, case)

    return {"work_counts": counts}
