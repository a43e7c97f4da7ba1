from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from casework.captures import services
from casework.captures.forms import CaptureRequestForm
from casework.captures.models import ArtefactKind, Capture, CaptureArtefact, CaptureState, SourceStatus
from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused, add_refusal_to_form
from casework.evidence.views import _attachment

LIST_LENGTH = 100


def _capture_case(request: HttpRequest, reference: str):
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.VIEW_MEDIA, case):
        raise PermissionDenied
    return case


@login_required
def capture_list(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's captures, newest first, with their progress; and the form to paste addresses."""
    case = _capture_case(request, reference)
    can_capture = request.user.has_perm(access.UPLOAD_MEDIA, case)
    form = CaptureRequestForm(request.POST or None, case=case)
    if request.method == "POST":
        if not can_capture:
            raise PermissionDenied
        if form.is_valid():
            try:
                captures = services.capture_request(case=case, actor=request.user, **form.cleaned_data)
            except Refused as refusal:
                add_refusal_to_form(form, refusal)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s address queued for capture; this page shows its progress.",
                        "%(count)s addresses queued for capture; this page shows their progress.",
                        len(captures),
                    )
                    % {"count": len(captures)},
                )
                return redirect("captures:capture_list", reference=case.reference)
    captures = list(Capture.objects.filter(case=case).for_list()[:LIST_LENGTH])
    return render(
        request,
        "captures/capture_list.html",
        {
            "case": case,
            "form": form,
            "can_capture": can_capture,
            "captures": captures,
            "in_progress": any(not capture.is_finished for capture in captures),
            "section": "captures",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def capture_gone(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's captured sources that a re-check found gone: what was preserved before they vanished."""
    case = _capture_case(request, reference)
    captures = list(
        Capture.objects.filter(case=case, source_status=SourceStatus.GONE).for_list().order_by("-gone_since", "-id")
    )
    return render(request, "captures/capture_gone.html", {"case": case, "captures": captures, "section": "captures"})


def _capture_for(request: HttpRequest, reference: str, capture_id: int) -> Capture:
    case = _capture_case(request, reference)
    return get_object_or_404(Capture.objects.for_list(), pk=capture_id, case=case)


@login_required
@require_GET
def capture_detail(request: HttpRequest, reference: str, capture_id: int) -> HttpResponse:
    capture = _capture_for(request, reference, capture_id)
    artefacts = {artefact.kind: artefact for artefact in capture.artefacts.all()}
    return render(
        request,
        "captures/capture_detail.html",
        {
            "case": capture.case,
            "capture": capture,
            "artefacts": [artefacts[kind] for kind in ArtefactKind.values if kind in artefacts],
            "screenshot": artefacts.get(ArtefactKind.SCREENSHOT),
            "incidents": capture.incidents.all(),
            "checks": capture.checks.all()[:50],
            "can_retry": capture.state == CaptureState.FAILED
            and request.user.has_perm(access.UPLOAD_MEDIA, capture.case),
            "section": "captures",
        },
    )


@login_required
@require_GET
def capture_artefact(request: HttpRequest, reference: str, capture_id: int, kind: str) -> FileResponse:
    """One artefact, byte for byte; the screenshot opens in the page, the others download. Custody records it."""
    capture = _capture_for(request, reference, capture_id)
    artefact = get_object_or_404(CaptureArtefact, capture=capture, kind=kind)
    services.capture_record_download(capture=capture, artefact=artefact, actor=request.user)
    inline = kind == ArtefactKind.SCREENSHOT
    extension = {"warc": ".warc.gz", "screenshot": ".png", "text": ".txt", "timestamp": ".tsr"}.get(kind, ".json")
    return _attachment(
        default_storage.open(artefact.file.name, "rb"),
        content_type="image/png" if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=f"{capture.case.reference}-capture-{capture.pk}-{kind}{extension}",
    )


@login_required
@require_POST
def capture_retry(request: HttpRequest, reference: str, capture_id: int) -> HttpResponse:
    capture = _capture_for(request, reference, capture_id)
    if services.capture_retry(capture=capture, actor=request.user).state == CaptureState.QUEUED:
        messages.success(request, _("The capture is queued again."))
    return redirect("captures:capture_detail", reference=capture.case.reference, capture_id=capture.pk)
