import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.bundles import services, signing
from casework.bundles.forms import BundleRequestForm
from casework.bundles.models import BundleScope, BundleStatus, EvidenceBundle
from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused, add_refusal_to_form


def _bundle_case(request: HttpRequest, reference: str):
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.REQUEST_BUNDLE, case):
        raise PermissionDenied
    return case


def _initial_from_saved_search(request: HttpRequest, case) -> dict:
    """A packet of the incidents behind a saved search's hits (?saved_search=<id>), chosen in the form."""
    from casework.search.selectors import saved_search_incident_ids

    saved_id = request.GET.get("saved_search", "")
    if request.method != "GET" or not saved_id.isdigit():
        return {}
    incident_ids = saved_search_incident_ids(case=case, user=request.user, saved_id=int(saved_id))
    if incident_ids is None:
        raise Http404
    return {"scope": BundleScope.INCIDENTS, "incidents": incident_ids}


@login_required
def bundle_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = _bundle_case(request, reference)
    form = BundleRequestForm(request.POST or None, case=case, initial=_initial_from_saved_search(request, case))
    if request.method == "POST" and form.is_valid():
        try:
            bundle = services.bundle_request(case=case, actor=request.user, **form.cleaned_data)
        except Refused as refusal:
            add_refusal_to_form(form, refusal)
        else:
            messages.success(request, _("Packet %(id)s queued; this page shows its progress.") % {"id": bundle.pk})
            return redirect("bundles:bundle_list", reference=case.reference)
    bundles = list(
        EvidenceBundle.objects.filter(case=case).select_related("requested_by").prefetch_related("incidents")[:50]
    )
    for bundle in bundles:
        # Packets whose witnesses' consent no longer covers what they carry: shown as "rebuild".
        bundle.consent_lapses = services.bundle_consent_lapses(bundle=bundle)
    public_key = signing.public_key_pem()
    return render(
        request,
        "bundles/bundle_list.html",
        {
            "case": case,
            "form": form,
            "bundles": bundles,
            "in_progress": any(b.status in (BundleStatus.QUEUED, BundleStatus.RUNNING) for b in bundles),
            "public_key": public_key.decode(),
            "key_fingerprint": hashlib.sha256(public_key.strip()).hexdigest(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def bundle_download(request: HttpRequest, reference: str, bundle_id: int) -> HttpResponse:
    case = _bundle_case(request, reference)
    try:
        return packet_download(request, get_object_or_404(EvidenceBundle, pk=bundle_id, case=case))
    except services.PacketUnavailable as refusal:
        return render(
            request,
            "bundles/packet_unavailable.html",
            {"case": case, "message": refusal.message},
            status=refusal.status_code,
        )


def packet_download(request: HttpRequest, bundle: EvidenceBundle) -> FileResponse:
    """The packet's ZIP as an attachment, recorded in the custody and audit logs. The caller checked the
    packet permission; this checks the rest (see services.bundle_check_download) and raises
    services.PacketUnavailable for an expired packet or one a withdrawn consent no longer covers."""
    if bundle.status not in (BundleStatus.READY, BundleStatus.EXPIRED):
        raise Http404("This packet is not ready.")
    services.bundle_check_download(bundle=bundle, actor=request.user)
    case = bundle.case
    services.bundle_record_download(bundle=bundle, actor=request.user, request=request)
    response = FileResponse(
        default_storage.open(bundle.archive.name, "rb"),
        as_attachment=True,
        filename=f"{case.reference}-packet-{bundle.pk}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def bundle_retry(request: HttpRequest, reference: str, bundle_id: int) -> HttpResponse:
    case = _bundle_case(request, reference)
    services.bundle_retry(bundle=get_object_or_404(EvidenceBundle, pk=bundle_id, case=case))
    return redirect("bundles:bundle_list", reference=case.reference)
