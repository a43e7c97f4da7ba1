"""The linkage review page: candidate pairs strongest first, two records side by side, and decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused
from casework.incidents.linkage import services as linkage
from casework.incidents.linkage.reasons import reason_texts
from casework.incidents.models import LinkCandidate, LinkDecision, LinkVerdict, Victim
from casework.incidents.tasks import linkage_find_candidates_task
from casework.queueing import enqueue_after_commit
from casework.web.listing import paginated

OPEN_VERDICTS = (LinkVerdict.UNSURE, LinkVerdict.WITHDRAWN)
DECIDABLE = (LinkVerdict.SAME, LinkVerdict.DIFFERENT, LinkVerdict.UNSURE)
VICTIM_FIELDS = ("incident__governorate", "occupation", "source_import")


def _case_for_reviewer(request: HttpRequest, reference: str):
    """The case, for someone who may decide on its records (reviewers and case admins); others: 403."""
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.REVIEW, case):
        raise PermissionDenied
    return case


@login_required
def linkage_review(request: HttpRequest, reference: str) -> HttpResponse:
    """Candidate pairs of the case, strongest first: open ones (undecided or unsure) by default, decided ones
    with ?show=decided. Queries: session, user, case with role, count, the page of pairs with both records."""
    case = _case_for_reviewer(request, reference)
    show = "decided" if request.GET.get("show") == "decided" else "open"
    latest = LinkDecision.objects.filter(first=OuterRef("first"), second=OuterRef("second")).order_by(
        "-decided_at", "-id"
    )
    candidates = (
        LinkCandidate.objects.filter(case=case)
        .annotate(verdict=Subquery(latest.values("verdict")[:1]))
        .select_related(*(f"{side}__{name}" for side in ("first", "second") for name in VICTIM_FIELDS))
        .order_by("-score", "first", "second")
    )
    is_open = Q(verdict__isnull=True) | Q(verdict__in=OPEN_VERDICTS)
    candidates = candidates.filter(is_open) if show == "open" else candidates.exclude(is_open)
    context = paginated(request, candidates, page_size=25)
    for candidate in context["object_list"]:
        candidate.reason_texts = reason_texts(candidate.reasons)
        candidate.verdict_label = dict(LinkVerdict.choices).get(candidate.verdict, "")
        candidate.key = f"{candidate.first_id}-{candidate.second_id}"
    conflict = request.GET.get("conflict", "")
    return render(
        request,
        "incidents/linkage_review.html",
        {
            "case": case,
            "section": "victims",
            "show": show,
            "conflict": conflict,
            "verdicts": [(verdict, verdict.label) for verdict in DECIDABLE],
            **context,
        },
    )


@login_required
@require_POST
def linkage_search(request: HttpRequest, reference: str) -> HttpResponse:
    """Send the case's candidate search to the worker."""
    case = _case_for_reviewer(request, reference)
    enqueue_after_commit(linkage_find_candidates_task, case.pk)
    messages.success(request, _("The search for records of the same person has started; reload in a while."))
    return redirect("incidents:linkage_review", reference=case.reference)


@login_required
@require_POST
def linkage_decide(request: HttpRequest, reference: str) -> HttpResponse:
    """Record a decision on two records of the case (same person, different people, unsure, or withdraw the
    decision in force). A "same person" that would join records marked as different people comes back to the
    page with a warning and asks to confirm."""
    case = _case_for_reviewer(request, reference)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("incidents:linkage_review", args=[case.reference])
    try:
        first_id, second_id = int(request.POST.get("first", "")), int(request.POST.get("second", ""))
    except ValueError:
        messages.error(request, _("Choose two records."))
        return redirect(back)
    first = get_object_or_404(Victim.objects.select_related("incident"), pk=first_id, incident__case=case)
    second = get_object_or_404(Victim.objects.select_related("incident"), pk=second_id, incident__case=case)
    try:
        decided = linkage.linkage_decide(
            first=first,
            second=second,
            verdict=request.POST.get("verdict", ""),
            actor=request.user,
            confirm=request.POST.get("confirm") == "1",
        )
    except linkage.ConflictingDecision as conflict:
        messages.warning(request, conflict.message)
        separator = "&" if "?" in back else "?"
        return redirect(f"{back}{separator}conflict={min(first_id, second_id)}-{max(first_id, second_id)}")
    except Refused as refusal:
        messages.error(request, refusal.message)
        return redirect(back)
    messages.success(
        request,
        _("Recorded: #%(first)s and #%(second)s — %(verdict)s.")
        % {"first": first_id, "second": second_id, "verdict": decided.decision.get_verdict_display()},
    )
    return redirect(back)
