from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casework.audit.history import record_revisions
from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused
from casework.evidence import selectors, services
from casework.evidence.forms import MediaDetailsForm, MediaLinkForm, MediaUploadForm, MediaWithdrawForm
from casework.evidence.models import MediaItem, MediaKind, NearDuplicate, ProcessingState, VerificationStatus
from casework.evidence.ranges import RangeNotSatisfiable, RangeReader, requested_range
from casework.evidence.uploads import IntakeRejected
from casework.web.forms_bulk import BulkActionForm
from casework.web.listing import paginated
from casework.web.views_bulk import bulk_run, may_act_in_bulk
from casework.witnesses.models import identity_fields_through


def _media_for(request: HttpRequest, item_id: int, permission: str = access.VIEW_MEDIA) -> MediaItem:
    item = get_object_or_404(
        MediaItem.objects.select_related(
            "case", "acquired_by", "witness", "withdrawn_by", "testimony__witness", "verified_by"
        ).defer(*identity_fields_through("witness"), *identity_fields_through("testimony__witness")),
        pk=item_id,
    )
    if not request.user.has_perm(access.VIEW_CASE, item.case):
        raise Http404("No such media item.")
    if not request.user.has_perm(permission, item.case):
        raise PermissionDenied
    return item


@login_required
def media_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    can_upload = request.user.has_perm(access.UPLOAD_MEDIA, case)
    form = MediaUploadForm(case=case)
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied
        form = MediaUploadForm(request.POST, request.FILES, case=case)
        if form.is_valid():
            outcomes = []
            for uploaded in form.cleaned_data["files"]:
                try:
                    result = services.media_ingest_upload(
                        uploaded=uploaded,
                        case=case,
                        source=form.cleaned_data["source"],
                        source_url=form.cleaned_data["source_url"],
                        description=form.cleaned_data["description"],
                        incidents=form.cleaned_data["incidents"],
                        witness=form.cleaned_data["witness"],
                        acquired_by=request.user,
                    )
                except IntakeRejected as error:
                    messages.error(request, f"{uploaded.name}: {error}")
                    outcomes.append(False)
                    continue
                level = messages.SUCCESS if result.created else messages.WARNING
                messages.add_message(request, level, f"{uploaded.name}: {result.message}")
                outcomes.append(True)
            if all(outcomes):
                return redirect("evidence:media_list", reference=case.reference)
    # Not the extracted metadata: a list shows none of it, and the identifying part would be decrypted per row.
    items = selectors.media_for_case(case=case).defer("metadata", "identifying_metadata")
    filters = {
        "kind": MediaKind.choices,
        "processing_state": ProcessingState.choices,
        "verification_status": VerificationStatus.choices,
    }
    chosen = {name: request.GET.get(name, "") for name in filters}
    items = items.filter(**{name: value for name, value in chosen.items() if value in dict(filters[name])})
    query = request.GET.get("q", "").strip()
    if query:
        items = items.filter(
            Q(exhibit_number__icontains=query) | Q(description__icontains=query) | Q(sha256__istartswith=query)
        )
    return render(
        request,
        "evidence/media_list.html",
        {
            "case": case,
            "form": form,
            "can_upload": can_upload,
            "query": query,
            # The senders' file names are decrypted for the case's team only.
            "can_see_file_names": request.user.has_perm(access.VIEW_MEDIA, case),
            "filters": [(name, choices, chosen[name]) for name, choices in filters.items()],
            "bulk_form": _bulk_form(request, case),
            "bulk_url": reverse("evidence:media_bulk", args=[case.reference]),
            **paginated(request, items),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def media_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _media_for(request, item_id)
    incidents = list(item.incidents.all())
    return render(
        request,
        "evidence/media_detail.html",
        {
            "item": item,
            "case": item.case,
            "incidents": incidents,
            "far_from_incidents": selectors.media_far_from_incidents(item=item, incidents=incidents),
            "far_km": settings.CASEWORK_FAR_FROM_INCIDENT_KM,
            "link_form": MediaLinkForm(case=item.case),
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, item.case),
            "can_review": request.user.has_perm(access.REVIEW, item.case) and request.user.pk != item.acquired_by_id,
            "can_flag_graphic": request.user.has_perm(access.REVIEW, item.case),
            "can_withdraw": request.user.has_perm(access.MANAGE_TEAM, item.case) and not item.is_withdrawn,
            "details_form": MediaDetailsForm(
                case=item.case, initial={"description": item.description, "witness": item.witness_id}
            ),
            "withdraw_form": MediaWithdrawForm(),
            "arrivals": selectors.media_arrivals(item=item),
            "near_duplicates": selectors.media_near_duplicates(item=item),
            "custody_events": selectors.custody_history(target=item).select_related("actor"),
            "revisions": record_revisions(item, limit=20),
        },
    )


@login_required
@require_GET
def media_state(request: HttpRequest, item_id: int) -> JsonResponse:
    item = _media_for(request, item_id)
    return JsonResponse(
        {
            "state": item.processing_state,
            "label": str(item.get_processing_state_display()),
            "error": item.processing_error,
        }
    )


# An original or a derived file is served as what its bytes are, never as a page of this site: a polyglot file
# must not run here, and nothing shown to a signed-in person stays in a cache.
SANDBOXED = "sandbox; default-src 'none'; frame-ancestors 'none'"
# A PDF opens in a frame of the item's page. Its document is sandboxed by this header (no script, a unique
# origin); the <iframe> itself carries no sandbox attribute, because Chromium refuses to run its PDF viewer in
# a frame that has one (it shows a "blocked" page instead).
SANDBOXED_PDF = "sandbox; default-src 'none'; frame-ancestors 'self'"


def _protect(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response.setdefault("Content-Security-Policy", SANDBOXED)
    return response


def _attachment(file, *, content_type: str, filename: str, as_attachment: bool) -> FileResponse:
    response = FileResponse(file, content_type=content_type, as_attachment=as_attachment, filename=filename)
    return _protect(response)


@login_required
@require_GET
def media_original(request: HttpRequest, item_id: int) -> FileResponse:
    return original_download(request, _media_for(request, item_id))


def original_download(request: HttpRequest, item: MediaItem) -> FileResponse:
    """The original, byte for byte, as an attachment named by its exhibit number; the download is a custody
    event. The caller checked the permission."""
    services.media_record_download(item=item, actor=request.user, request=request)
    return _attachment(
        default_storage.open(item.original.name, "rb"),
        content_type="application/octet-stream",
        filename=item.exhibit_number + _extension(item),
        as_attachment=True,
    )


@login_required
@require_GET
def media_thumbnail(request: HttpRequest, item_id: int, keyframe: int | None = None) -> FileResponse:
    item = _media_for(request, item_id)
    name = (
        item.thumbnail.name
        if keyframe is None
        else (item.keyframes[keyframe] if keyframe < len(item.keyframes) else "")
    )
    if not name:
        raise Http404("No thumbnail.")
    return _attachment(
        default_storage.open(name, "rb"),
        content_type="image/jpeg",
        filename="thumbnail.jpg",
        as_attachment=False,
    )


EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/tiff": ".tif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/3gpp": ".3gp",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/flac": ".flac",
    "audio/ogg": ".ogg",
    "audio/x-wav": ".wav",
    "audio/wav": ".wav",
    "application/pdf": ".pdf",
}


def _extension(item: MediaItem) -> str:
    return EXTENSIONS.get(item.mime_type, ".bin")


@login_required
@require_GET
def media_view_original(request: HttpRequest, item_id: int) -> HttpResponse:
    """The original shown or played in the page (photos, video, audio, PDFs of processed items), whole or in the
    byte ranges a player asks for (206, or 416 for a range the file does not have).

    Every view is a custody event and an audit row, but one per person and item within
    services.ORIGINAL_VIEW_WINDOW: a video plays in many range requests and a seek is one more, and none of them
    is a new view. The first request of a window is recorded, wherever its range starts, so asking for parts
    cannot fetch a file unrecorded. A refused or unsatisfiable request hands over nothing and records nothing.
    """
    item = _media_for(request, item_id)
    if not item.opens_in_page:
        raise Http404("This original is not shown in the page; download it.")
    size = default_storage.size(item.original.name)
    # The bytes never change (named and checked by their SHA-256): a strong validator for If-Range.
    etag = f'"{item.sha256}"'
    try:
        byte_range = requested_range(
            request.headers.get("Range"), size=size, if_range=request.headers.get("If-Range"), etag=etag
        )
    except RangeNotSatisfiable:
        refused = HttpResponse(
            _("The requested range is not part of this file."), status=416, content_type="text/plain; charset=utf-8"
        )
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return _protect(refused)
    services.media_record_view(
        item=item, actor=request.user, request=request, unless_viewed_within=services.ORIGINAL_VIEW_WINDOW
    )
    original = default_storage.open(item.original.name, "rb")
    response = FileResponse(
        original if byte_range is None else RangeReader(original, byte_range),
        status=200 if byte_range is None else 206,
        content_type=item.mime_type,
        filename=item.exhibit_number + _extension(item),
        as_attachment=False,
    )
    response.block_size = 64 * 1024
    response["Content-Length"] = str(size if byte_range is None else byte_range.length)
    if byte_range is not None:
        response["Content-Range"] = byte_range.content_range(size)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if item.is_pdf:
        response["Content-Security-Policy"] = SANDBOXED_PDF
        response["X-Frame-Options"] = "SAMEORIGIN"
    return _protect(response)


@login_required
@require_POST
def media_links(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _media_for(request, item_id, access.EDIT_RECORDS)
    form = MediaLinkForm(request.POST, case=item.case)
    if not form.is_valid():
        for error in form.errors["incident"]:
            messages.error(request, error)
        return redirect("evidence:media_detail", item_id=item.pk)
    incident = form.cleaned_data["incident"]
    linked = list(item.incidents.all())
    if request.POST.get("action") == "unlink":
        chosen = [other for other in linked if other.pk != incident.pk]
    else:
        chosen = [*linked, incident]
    services.media_update(item=item, actor=request.user, incidents=chosen)
    return redirect("evidence:media_detail", item_id=item.pk)


@login_required
@require_POST
def media_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _media_for(request, item_id, access.EDIT_RECORDS)
    form = MediaDetailsForm(request.POST, case=item.case)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("evidence:media_detail", item_id=item.pk)
    try:
        services.media_update(
            item=item,
            actor=request.user,
            description=form.cleaned_data["description"],
            witness=form.cleaned_data["witness"],
        )
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The details were saved; the change is in the custody log."))
    return redirect("evidence:media_detail", item_id=item.pk)


@login_required
@require_POST
def media_withdraw(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _media_for(request, item_id, access.MANAGE_TEAM)
    try:
        services.media_withdraw(item=item, actor=request.user, reason=request.POST.get("reason", ""))
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The item was withdrawn. It stays stored and listed, and is left out of packets."))
    return redirect("evidence:media_detail", item_id=item.pk)


@login_required
@require_POST
def media_review(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _media_for(request, item_id, access.REVIEW)
    try:
        services.media_review(
            item=item,
            reviewer=request.user,
            verified=request.POST.get("decision") == "verify",
            notes=request.POST.get("notes", ""),
        )
    except Refused as refusal:
        messages.error(request, str(refusal))
    return redirect("evidence:media_detail", item_id=item.pk)


@login_required
@require_POST
def near_duplicate_decide(request: HttpRequest, item_id: int, pair_id: int) -> HttpResponse:
    item = _media_for(request, item_id, access.REVIEW)
    pair = get_object_or_404(NearDuplicate, Q(first=item) | Q(second=item), pk=pair_id)
    services.near_duplicate_review(
        pair=pair, reviewer=request.user, confirmed=request.POST.get("decision") == "confirm"
    )
    return redirect("evidence:media_detail", item_id=item.pk)


@login_required
@require_POST
def media_graphic(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _media_for(request, item_id, access.REVIEW)
    services.media_update(item=item, actor=request.user, is_graphic=request.POST.get("is_graphic") == "1")
    return redirect("evidence:media_detail", item_id=item.pk)


def _bulk_form(request: HttpRequest, case) -> BulkActionForm | None:
    """The bulk actions' form for someone who may edit or review the case's media, else None."""
    if not may_act_in_bulk(request.user, case):
        return None
    return BulkActionForm(case=case, records=MediaItem.objects.none(), actions=services.MediaBulkAction.choices)


@login_required
@require_POST
def media_bulk(request: HttpRequest, reference: str) -> HttpResponse:
    """Apply one action to the items ticked on the list, each through its single-item service."""
    case = case_get_for_user(reference=reference, user=request.user)
    if not may_act_in_bulk(request.user, case):
        raise PermissionDenied
    form = BulkActionForm(
        request.POST,
        case=case,
        records=MediaItem.objects.filter(case=case).select_related("case").order_by("exhibit_sequence"),
        actions=services.MediaBulkAction.choices,
    )
    bulk_run(
        request,
        form,
        lambda items, **action: services.media_bulk_apply(items=items, actor=request.user, **action),
    )
    return redirect("evidence:media_list", reference=case.reference)
