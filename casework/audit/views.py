from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casework.audit.models import AuditEvent
from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.web.listing import paginated


@login_required
def case_audit_log(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.MANAGE_TEAM, case):
        raise PermissionDenied
    events = AuditEvent.objects.filter(case=case).select_related("actor")
    return render(request, "audit/case_audit_log.html", {"case": case, **paginated(request, events, page_size=50)})
