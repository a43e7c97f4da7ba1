from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casework.cases.selectors import case_get_for_user, cases_visible_to
from casework.evidence.models import MediaItem
from casework.witnesses.models import ReviewStatus, Testimony, identity_fields_through


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"cases": cases_visible_to(request.user)})


@login_required
def review_queue(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    testimonies = (
        Testimony.objects.filter(case=case).select_related("witness").defer(*identity_fields_through("witness"))
    )
    return render(
        request,
        "web/review_queue.html",
        {
            "case": case,
            "testimonies": testimonies.filter(status=ReviewStatus.SUBMITTED).order_by("interview_date"),
            "rejected": testimonies.filter(status=ReviewStatus.REJECTED).order_by("-reviewed_at")[:20],
            "media_items": MediaItem.objects.filter(case=case, verification_status="unverified").order_by(
                "acquired_at"
            ),
        },
    )
