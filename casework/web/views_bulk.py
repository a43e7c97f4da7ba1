"""Shared by the media and testimony lists' bulk views: tell the person what was done and what was refused."""

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.bulk import BulkOutcome
from casework.cases import access
from casework.errors import Refused


def may_act_in_bulk(user, case) -> bool:
    """Bulk actions are for those who may edit or review the case's records."""
    return user.has_perm(access.EDIT_RECORDS, case) or user.has_perm(access.REVIEW, case)


def bulk_run(request: HttpRequest, form, apply) -> None:
    """Check the bulk form, then `apply(records, action=..., incident=...)` and report what it did and refused."""
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return
    try:
        outcome = apply(
            form.cleaned_data["items"], action=form.cleaned_data["action"], incident=form.cleaned_data["incident"]
        )
    except Refused as refusal:
        messages.error(request, str(refusal))
    else:
        bulk_report(request, outcome)


def bulk_report(request: HttpRequest, outcome: BulkOutcome) -> None:
    if outcome.applied:
        messages.success(
            request,
            ngettext("Done for %(count)s: %(records)s.", "Done for %(count)s: %(records)s.", len(outcome.applied))
            % {"count": len(outcome.applied), "records": ", ".join(outcome.applied)},
        )
    for label, reason in outcome.refused:
        messages.error(request, _("Not changed: %(record)s. %(reason)s") % {"record": label, "reason": reason})
