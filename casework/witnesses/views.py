from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.cases.versioning import EditConflict
from casework.web.listing import paginated
from casework.witnesses import services
from casework.witnesses.forms import ConsentForm, ReviewForm, TestimonyForm, TranslationFormSet, WitnessForm
from casework.witnesses.models import IDENTITY_FIELDS, ReviewStatus, Testimony, Witness


def _editable_case(request: HttpRequest, reference: str):
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.EDIT_RECORDS, case):
        raise PermissionDenied
    return case


@login_required
def witness_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    witnesses = Witness.objects.filter(case=case).order_by("pseudonym")
    query = request.GET.get("q", "").strip()
    if query:
        witnesses = witnesses.filter(pseudonym__icontains=query)  # never the identity: it is not searchable
    return render(
        request,
        "witnesses/witness_list.html",
        {
            "case": case,
            "section": "witnesses",
            "query": query,
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, case),
            **paginated(request, witnesses),
        },
    )


@sensitive_post_parameters(*IDENTITY_FIELDS)
@login_required
def witness_edit(request: HttpRequest, reference: str, witness_id: int | None = None) -> HttpResponse:
    case = _editable_case(request, reference)
    witness = get_object_or_404(Witness, pk=witness_id, case=case) if witness_id else Witness(case=case)
    form = WitnessForm(request.POST or None, instance=witness, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            witness = services.witness_save(
                form=form, actor=request.user, expected_version=form.cleaned_data["version"]
            )
        except EditConflict as conflict:
            form.add_error(None, str(conflict))
        else:
            messages.success(request, _("Witness %(code)s saved.") % {"code": witness.pseudonym})
            return redirect("witnesses:witness_detail", reference=case.reference, witness_id=witness.pk)
    return render(
        request,
        "witnesses/witness_form.html",
        {"case": case, "section": "witnesses", "form": form, "witness": witness},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def witness_detail(request: HttpRequest, reference: str, witness_id: int) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    witness = get_object_or_404(Witness, pk=witness_id, case=case)
    consent_form = ConsentForm(request.POST or None)
    can_edit = request.user.has_perm(access.EDIT_RECORDS, case)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if consent_form.is_valid():
            services.consent_record(witness=witness, values=consent_form.cleaned_data, actor=request.user)
            messages.success(request, _("Consent recorded."))
            return redirect("witnesses:witness_detail", reference=case.reference, witness_id=witness.pk)
    return render(
        request,
        "witnesses/witness_detail.html",
        {
            "case": case,
            "section": "witnesses",
            "witness": witness,
            "consents": witness.consents.all(),
            "testimonies": witness.testimonies.all(),
            "consent_form": consent_form,
            "can_edit": can_edit,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def testimony_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    testimonies = Testimony.objects.filter(case=case).select_related("witness").order_by("-interview_date", "-id")
    status = request.GET.get("status", "")
    if status in ReviewStatus.values:
        testimonies = testimonies.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        testimonies = testimonies.filter(
            Q(original_text__icontains=query)
            | Q(translations__text__icontains=query)
            | Q(witness__pseudonym__icontains=query)
        ).distinct()
    return render(
        request,
        "witnesses/testimony_list.html",
        {
            "case": case,
            "section": "testimonies",
            "query": query,
            "status": status,
            "statuses": ReviewStatus.choices,
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, case),
            **paginated(request, testimonies),
        },
    )


@login_required
def testimony_edit(request: HttpRequest, reference: str, testimony_id: int | None = None) -> HttpResponse:
    case = _editable_case(request, reference)
    testimony = get_object_or_404(Testimony, pk=testimony_id, case=case) if testimony_id else Testimony(case=case)
    data = request.POST if request.method == "POST" else None
    form = TestimonyForm(data, instance=testimony, case=case)
    translations = TranslationFormSet(data, instance=testimony, prefix="translations")
    if request.method == "POST" and form.is_valid() and translations.is_valid():
        try:
            testimony = services.testimony_save(
                form=form, translations=translations, actor=request.user, expected_version=form.cleaned_data["version"]
            )
        except (EditConflict, services.ReviewRefused) as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Testimony saved."))
            return redirect("witnesses:testimony_detail", reference=case.reference, testimony_id=testimony.pk)
    return render(
        request,
        "witnesses/testimony_form.html",
        {"case": case, "section": "testimonies", "form": form, "translations": translations, "testimony": testimony},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def testimony_detail(request: HttpRequest, reference: str, testimony_id: int) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    testimony = get_object_or_404(
        Testimony.objects.select_related("witness", "reviewed_by", "created_by"), pk=testimony_id, case=case
    )
    can_review = (
        request.user.has_perm(access.REVIEW, case)
        and testimony.status == ReviewStatus.SUBMITTED
        and request.user.pk not in (testimony.created_by_id, testimony.interviewer_id)
    )
    return render(
        request,
        "witnesses/testimony_detail.html",
        {
            "case": case,
            "section": "testimonies",
            "testimony": testimony,
            "translations": testimony.translations.all(),
            "incidents": testimony.incidents.all(),
            "history": testimony.history.select_related("history_user").order_by("-history_date")[:20],
            "can_edit": request.user.has_perm(access.EDIT_RECORDS, case) and testimony.status != ReviewStatus.VERIFIED,
            "can_submit": request.user.has_perm(access.EDIT_RECORDS, case)
            and testimony.status in (ReviewStatus.DRAFT, ReviewStatus.REJECTED),
            "can_review": can_review,
            "review_form": ReviewForm(),
        },
    )


@login_required
@require_POST
def testimony_submit(request: HttpRequest, reference: str, testimony_id: int) -> HttpResponse:
    case = _editable_case(request, reference)
    testimony = get_object_or_404(Testimony, pk=testimony_id, case=case)
    try:
        services.testimony_submit(testimony=testimony, actor=request.user)
        messages.success(request, _("Submitted for review."))
    except services.ReviewRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("witnesses:testimony_detail", reference=case.reference, testimony_id=testimony.pk)


@login_required
@require_POST
def testimony_review(request: HttpRequest, reference: str, testimony_id: int) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.REVIEW, case):
        raise PermissionDenied
    testimony = get_object_or_404(Testimony, pk=testimony_id, case=case)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("witnesses:testimony_detail", reference=case.reference, testimony_id=testimony.pk)
    try:
        services.testimony_review(
            testimony=testimony,
            reviewer=request.user,
            verified=form.cleaned_data["decision"] == "verify",
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Review recorded."))
    except services.ReviewRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("witnesses:testimony_detail", reference=case.reference, testimony_id=testimony.pk)


@login_required
@never_cache
def witness_reveal(request: HttpRequest, reference: str, witness_id: int) -> HttpResponse:
    """A deliberate action: the person states why, the reveal is audited, and the page is not cached."""
    case = case_get_for_user(reference=reference, user=request.user)
    witness = get_object_or_404(Witness, pk=witness_id, case=case)
    if not request.user.has_perm(access.REVEAL_IDENTITY, case):
        raise PermissionDenied
    identity = None
    error = ""
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            identity = services.witness_reveal_identity(
                witness=witness, actor=request.user, reason=reason, request=request
            )
        except services.ReviewRefused as refusal:
            error = str(refusal)
    labels = {field: Witness._meta.get_field(field).verbose_name for field in IDENTITY_FIELDS}
    return render(
        request,
        "witnesses/witness_reveal.html",
        {
            "case": case,
            "section": "witnesses",
            "witness": witness,
            "reason": reason,
            "error": error,
            "identity": [(labels[field], value) for field, value in identity.items()] if identity else None,
        },
        status=400 if error else 200,
    )
