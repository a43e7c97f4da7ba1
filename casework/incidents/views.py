import re
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.audit.history import record_revisions
from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused, add_refusal_to_form
from casework.evidence.selectors import media_for_incident, media_online_sources
from casework.incidents import services, tabular
from casework.incidents.filters import IncidentFilter, VictimFilter
from casework.incidents.forms import (
    IncidentForm,
    attribution_rows,
    incident_form_values,
    incident_formsets,
    victim_changes,
)
from casework.incidents.linkage.services import cluster_members, sources_count
from casework.incidents.models import Incident, Victim
from casework.incidents.selectors import victim_revisions
from casework.web.listing import paginated
from casework.witnesses.models import identity_fields_through


@login_required
def incident_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    incident_filter = IncidentFilter(request.GET, queryset=Incident.objects.filter(case=case).for_list(), case=case)
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
    victim_filter = VictimFilter(request.GET, queryset=queryset, case=case)
    return render(
        request,
        "incidents/victim_list.html",
        {
            "case": case,
            "filter": victim_filter,
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, case),
            "can_review": request.user.has_perm(access.REVIEW, case),
            **paginated(request, victim_filter.qs),
        },
    )


@login_required
def incident_detail(request: HttpRequest, reference: str, incident_id: int) -> HttpResponse:
    """The incident with everything that speaks of it, side by side: victims, testimonies (by the witness's
    pseudonym), media (thumbnails and exhibit numbers), the web addresses files came from, and the witnesses
    who sent files. No witness's identity is read."""
    case = case_get_for_user(reference=reference, user=request.user)
    incident = get_object_or_404(Incident.objects.for_list(), pk=incident_id, case=case)
    media_items = list(media_for_incident(incident=incident))
    senders = {item.witness_id: item.witness for item in media_items if item.witness_id is not None}
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "case": case,
            "incident": incident,
            "attributions": incident.attributions.select_related("party"),
            "victims": incident.victims.select_related("occupation"),
            "testimonies": list(
                incident.testimonies.select_related("witness")
                .defer(*identity_fields_through("witness"))
                .order_by("interview_date", "pk")
            ),
            "media_items": media_items,
            "online_sources": media_online_sources(items=media_items),
            "senders": sorted(senders.values(), key=lambda witness: witness.pseudonym),
            "revisions": record_revisions(incident, limit=20),
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, case),
        },
    )


@login_required
def victim_detail(request: HttpRequest, reference: str, victim_id: int) -> HttpResponse:
    """One person: their details, the incident, the record they duplicate and the records that duplicate them,
    and the revisions of the record."""
    case = case_get_for_user(reference=reference, user=request.user)
    victim = get_object_or_404(
        Victim.objects.select_related("incident", "occupation", "duplicate_of__incident", "source_import"),
        pk=victim_id,
        incident__case=case,
    )
    cluster = cluster_members(victim)
    return render(
        request,
        "incidents/victim_detail.html",
        {
            "case": case,
            "section": "victims",
            "victim": victim,
            "duplicates": victim.duplicates.select_related("incident").order_by("pk"),
            "sources_count": sources_count(cluster),
            "cluster_size": len(cluster),
            "can_review": request.user.has_perm(access.REVIEW, case),
            "revisions": victim_revisions(victim),
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
                incident = services.incident_write(
                    case=case,
                    actor=request.user,
                    incident=incident,
                    values=incident_form_values(form),
                    expected_version=form.cleaned_data.get("version"),
                    attributions=attribution_rows(attributions),
                    victims=victim_changes(victims),
                )
            except Refused as refusal:
                add_refusal_to_form(form, refusal)
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


class VictimsImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8, one row per victim, with the header row. Nothing is written yet."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


# The checked file waits in a server-side folder until confirmed; the session holds only its random name.
PENDING_IMPORT_SESSION_KEY = "victims_csv_import"
PENDING_IMPORT_NAME = re.compile(r"^victims-[A-Za-z0-9_]+\.csv$")


def _pending_import_dir() -> Path:
    path = Path(settings.FILE_UPLOAD_TEMP_DIR or Path(settings.MEDIA_ROOT) / "incoming") / "victims-csv"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _pending_import(request: HttpRequest, case) -> dict | None:
    pending = request.session.get(PENDING_IMPORT_SESSION_KEY)
    if not pending or pending.get("case_id") != case.pk or not PENDING_IMPORT_NAME.match(pending.get("token", "")):
        return None
    path = _pending_import_dir() / pending["token"]
    if not path.is_file():
        return None
    return {**pending, "path": path}


def _pending_import_discard(request: HttpRequest) -> None:
    pending = request.session.pop(PENDING_IMPORT_SESSION_KEY, None)
    if pending and PENDING_IMPORT_NAME.match(pending.get("token", "")):
        (_pending_import_dir() / pending["token"]).unlink(missing_ok=True)


def _pending_import_store(request: HttpRequest, case, upload) -> None:
    directory = _pending_import_dir()
    # Files of sessions that ended without confirming or cancelling.
    stale_before = time.time() - settings.SESSION_COOKIE_AGE
    for old in directory.glob("victims-*.csv"):
        if old.stat().st_mtime < stale_before:
            old.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix="victims-", suffix=".csv", delete=False) as out:
        upload.seek(0)
        for chunk in upload.chunks():
            out.write(chunk)
    request.session[PENDING_IMPORT_SESSION_KEY] = {
        "case_id": case.pk,
        "token": Path(out.name).name,
        "name": Path(upload.name or "").name[:200],
    }


@login_required
def victims_import(request: HttpRequest, reference: str) -> HttpResponse:
    """Upload a CSV file, see every problem (or what would be written), then confirm: only then is it written."""
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.EDIT_RECORDS, case):
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("template"):
        response = HttpResponse(tabular.victims_csv_template(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="victims-template.csv"'
        return response

    form = VictimsImportForm()
    report = None
    reimport_unconfirmed = False
    status = 200
    if request.method == "POST" and "confirm" in request.POST:
        pending = _pending_import(request, case)
        # The token names the file this page showed: a file checked later in another tab is not imported instead.
        if pending is None or request.POST.get("token") != pending["token"]:
            messages.error(request, _("No checked file is waiting to be imported; upload it again."))
            return redirect("incidents:victims_import", reference=case.reference)
        with open(pending["path"], "rb") as file:
            report = tabular.victims_csv_import(
                case,
                file,
                request.user,
                file_name=pending["name"],
                allow_reimport=request.POST.get("allow_reimport") == "1",
            )
        if report.committed:
            _pending_import_discard(request)
            messages.success(
                request,
                _("Imported %(victims)s victims; %(incidents)s new incidents.")
                % {"victims": report.victims_added, "incidents": len(report.incidents_created)},
            )
            return redirect("incidents:victim_list", reference=case.reference)
        # Refused only because the box was not ticked: the checked file keeps waiting for it.
        reimport_unconfirmed = report.reimport_refused and not report.problems_in_file
        if not reimport_unconfirmed:
            _pending_import_discard(request)
        status = 400
    elif request.method == "POST" and "cancel" in request.POST:
        _pending_import_discard(request)
        return redirect("incidents:victims_import", reference=case.reference)
    elif request.method == "POST":
        _pending_import_discard(request)
        form = VictimsImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = tabular.victims_csv_check(case, upload)
            # A file imported before waits too: the page asks the person to confirm it.
            if not report.problems_in_file:
                _pending_import_store(request, case, upload)
            else:
                status = 400
        else:
            status = 400
    return render(
        request,
        "incidents/victims_import.html",
        {
            "case": case,
            "form": form,
            "report": report,
            "reimport_unconfirmed": reimport_unconfirmed,
            "pending": _pending_import(request, case) if report is not None and not report.problems_in_file else None,
            "columns": tabular.COLUMNS,
            "list_separator": tabular.LIST_SEPARATOR,
        },
        status=status,
    )


@login_required
def victims_export(request: HttpRequest, reference: str) -> StreamingHttpResponse:
    """The case's incidents and victims as CSV, streamed (the shape the import reads)."""
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.VIEW_CASE, case):
        raise PermissionDenied
    response = StreamingHttpResponse(tabular.victims_csv_chunks(case), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-victims.csv"'
    return response
