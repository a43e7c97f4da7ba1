"""Shared by the media and testimony lists' bulk views: tell the person what was done and what was refused."""

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.bulk import BulkOutcome


def bulk_report(request: HttpRequest, outcome: BulkOutcome) -> None:
    if outcome.applied:
        messages.success(
            request,
            ngettext("Done for %(count)s: %(records)s.", "Done for %(count)s: %(records)s.", len(outcome.applied))
            % {"count": len(outcome.applied), "records": ", ".join(outcome.applied)},
        )
    for label, reason in outcome.refused:
        messages.error(request, _("Not changed: %(record)s. %(reason)s") % {"record": label, "reason": reason})
