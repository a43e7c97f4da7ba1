from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.cases.versioning import EditConflict
from casework.incidents import services
from casework.incidents.filters import IncidentFilter, VictimFilter
from casework.incidents.forms import IncidentForm, incident_formsets
from casework.incidents.models import Incident, Victim
from casework.web.listing import paginated


@login_required
def incident_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    incident_filter = IncidentFilter(request.GET, queryset=Incident.objects.filter(case=case).for_list())
    return render(
        request,
        "incidents/incident_list.html",
        {
            "case": case,
            "filter": incident_filter,
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, case),
            **paginated(request, incident_filter.qs),
        },
    )


@login_required
def victim_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    queryset = Victim.objects.filter(incident__case=case).select_related("incident", "occupation")
    victim_filter = VictimFilter(request.GET, queryset=queryset)
    return render(
        request,
        "incidents/victim_list.html",
        {"case": case, "filter": victim_filter, **paginated(request, victim_filter.qs)},
    )


@login_required
def incident_detail(request: HttpRequest, reference: str, incident_id: int) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    incident = get_object_or_404(Incident.objects.for_list(), pk=incident_id, case=case)
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "case": case,
            "incident": incident,
            "attributions": incident.attributions.select_related("party"),
            "victims": incident.victims.select_related("occupation"),
            "media_items": incident.media_items.all(),
            "history": incident.history.select_related("history_user").order_by("-history_date")[:20],
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, case),
        },
    )


@login_required
def incident_edit(request: HttpRequest, reference: str, incident_id: int | None = None) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.EDIT_RECORDS, case):
        raise PermissionDenied
    incident = get_object_or_404(Incident, pk=incident_id, case=case) if incident_id else Incident(case=case)
    data = request.POST if request.method == "POST" else None
    form = IncidentForm(data, instance=incident, case=case)
    attributions, victims = incident_formsets(case=case, data=data, instance=incident)
    status = 200
    if request.method == "POST":
        if form.is_valid() and attributions.is_valid() and victims.is_valid():
            try:
                incident = services.incident_save(
                    form=form,
                    attributions=attributions,
                    victims=victims,
                    actor=request.user,
                    expected_version=form.cleaned_data.get("version"),
                )
            except EditConflict as conflict:
                form.add_error(None, str(conflict))
            else:
                messages.success(request, _("Incident %(ref)s saved.") % {"ref": incident.reference})
                return redirect("incidents:incident_detail", reference=case.reference, incident_id=incident.pk)
        status = 400
    return render(
        request,
        "incidents/incident_form.html",
        {"case": case, "incident": incident, "form": form, "attributions": attributions, "victims": victims},
        status=status,
    )
