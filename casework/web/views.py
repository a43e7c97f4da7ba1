from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casework.cases.selectors import case_get_for_user, cases_visible_to
from casework.incidents.models import Incident


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"cases": cases_visible_to(request.user)})


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    incidents = Incident.objects.filter(case=case).for_list()
    return render(request, "web/case_detail.html", {"case": case, "incidents": incidents})
