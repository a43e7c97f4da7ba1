from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casework.cases import access
from casework.cases.forms import CaseCreateForm
from casework.cases.selectors import case_get_for_user, cases_visible_to
from casework.errors import Refused
from casework.evidence.models import MediaItem
from casework.evidence.selectors import incident_positions, media_flag_far_from_incidents
from casework.notifications import selectors as work
from casework.notifications.services import review_assign as assign_for_review
from casework.web import pickers
from casework.witnesses.models import ReviewStatus, Testimony, identity_fields_through


@login_required
def home(request: HttpRequest) -> HttpResponse:
    may_create = request.user.has_perm(access.CREATE_CASE)
    return render(
        request,
        "web/home.html",
        {"cases": cases_visible_to(request.user), "case_form": CaseCreateForm() if may_create else None},
    )


@login_required
def review_queue(request: HttpRequest, reference: str) -> HttpResponse:
    """What waits for review in a case: everyone's, assigned to me, or unassigned; reviewers assign it here."""
    case = case_get_for_user(reference=reference, user=request.user)
    show = request.GET.get("show")
    if show not in work.QUEUE_VIEWS:
        show = "all"
    can_assign = request.user.has_perm(access.REVIEW, case)
    rejected = (
        Testimony.objects.filter(case=case, status=ReviewStatus.REJECTED)
        .select_related("witness")
        .defer(*identity_fields_through("witness"))
        .order_by("-reviewed_at")[:20]
    )
    return render(
        request,
        "web/review_queue.html",
        {
            "case": case,
            "show": show,
            "queue_views": [
                ("all", _("Everyone's")),
                ("mine", _("Assigned to me")),
                ("unassigned", _("Unassigned")),
            ],
            "testimonies": work.testimonies_waiting(case=case, user=request.user, show=show),
            "media_items": media_flag_far_from_incidents(
                work.media_waiting(case=case, user=request.user, show=show).prefetch_related(incident_positions())
            ),
            "rejected": rejected,
            "can_assign": can_assign,
            "reviewers": list(work.reviewers_of(case)) if can_assign else [],
        },
    )


@login_required
@require_POST
def review_assign(request: HttpRequest, reference: str) -> HttpResponse:
    """Assign a testimony or media item of the queue to a reviewer of the case (or to nobody)."""
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.REVIEW, case):
        raise PermissionDenied
    if request.POST.get("testimony"):
        record = get_object_or_404(Testimony, pk=_number(request.POST["testimony"]), case=case)
    else:
        record = get_object_or_404(MediaItem, pk=_number(request.POST.get("media_item")), case=case)
    assignee_id = request.POST.get("assignee", "")
    assignee = get_user_model().objects.filter(pk=_number(assignee_id)).first() if assignee_id else None
    try:
        if assignee_id and assignee is None:
            raise Refused(_("Only someone who may review in this case can be assigned."))
        assign_for_review(record=record, assignee=assignee, actor=request.user)
    except Refused as refusal:
        messages.error(request, str(refusal))
    else:
        if assignee is None:
            messages.success(request, _("Unassigned."))
        else:
            messages.success(request, _("Assigned to %(person)s.") % {"person": assignee.get_username()})
    show = request.POST.get("show")
    query = f"?show={show}" if show in work.QUEUE_VIEWS else ""
    return redirect(reverse("web:review_queue", args=[case.reference]) + query)


def _number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
def my_review_queue(request: HttpRequest) -> HttpResponse:
    """Everything assigned to the person for review and still waiting, across their cases."""
    return render(
        request,
        "web/my_review_queue.html",
        {
            "testimonies": work.my_testimonies_to_review(request.user),
            "media_items": work.my_media_to_review(request.user),
        },
    )


@login_required
@require_GET
def record_picker(request: HttpRequest, reference: str, kind: str) -> JsonResponse:
    """Records of one case matching what a person types into a picker (`casework.web.pickers`).

    Outsiders get 404 (the case is not theirs to know of), a role that may not read this kind of record 403.
    Witnesses come by pseudonym only. At most `pickers.RESULTS_LIMIT` rows, whatever the case's size.
    """
    case = case_get_for_user(reference=reference, user=request.user)
    picker = pickers.KINDS[kind]
    if not request.user.has_perm(picker.permission, case):
        raise PermissionDenied
    results = pickers.picker_search(kind=picker, case=case, query=request.GET.get("q", "")[:100])
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response
