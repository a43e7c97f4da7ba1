from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from casework.audit.history import record_revisions, witness_revisions
from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused, add_refusal_to_form
from casework.evidence.selectors import media_summaries
from casework.web.forms_bulk import BulkActionForm
from casework.web.listing import paginated
from casework.web.views_bulk import bulk_run, may_act_in_bulk
from casework.witnesses import selectors, services
from casework.witnesses.forms import (
    ConsentForm,
    ConsentWithdrawForm,
    ReviewForm,
    TestimonyForm,
    TranslationFormSet,
    WitnessForm,
    translation_rows,
)
from casework.witnesses.models import (
    IDENTITY_FIELDS,
    Consent,
    ReviewStatus,
    Testimony,
    Witness,
    identity_fields_through,
)


def _editable_case(request: HttpRequest, reference: str):
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.EDIT_RECORDS, case):
        raise PermissionDenied
    return case


@login_required
def witness_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    # Never the identity columns: a list has no use for them, so they are not even decrypted.
    witnesses = Witness.objects.filter(case=case).pseudonymous().order_by("pseudonym")
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
            witness = services.witness_write(
                case=case,
                actor=request.user,
                witness=witness,
                values=form.values(),
                expected_version=form.cleaned_data["version"],
                request=request,
            )
        except Refused as refusal:
            add_refusal_to_form(form, refusal)
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
    witness = get_object_or_404(Witness.objects.pseudonymous(), pk=witness_id, case=case)
    consent_form = ConsentForm(request.POST or None)
    can_edit = request.user.has_perm(access.EDIT_RECORDS, case)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if consent_form.is_valid():
            try:
                consents = services.consents_record(
                    witness=witness,
                    scopes=consent_form.cleaned_data["scopes"],
                    values=consent_form.values(),
                    actor=request.user,
                )
            except Refused as refusal:
                add_refusal_to_form(consent_form, refusal)
            else:
                messages.success(request, _("Consent recorded."))
                if any(consent.allows_name and not consent.name_sharing_confirmed for consent in consents):
                    messages.warning(
                        request, _("Sharing the name takes effect once a case admin confirms it on this page.")
                    )
                return redirect("witnesses:witness_detail", reference=case.reference, witness_id=witness.pk)
    return render(
        request,
        "witnesses/witness_detail.html",
        {
            "case": case,
            "section": "witnesses",
            "witness": witness,
            "revisions": witness_revisions(witness, limit=20),
            "consents": witness.consents.select_related("name_confirmed_by"),
            "today": timezone.localdate(),
            "testimonies": witness.testimonies.all(),
            "media_items": media_summaries(witness.media_items.all()),
            "consent_form": consent_form,
            "withdraw_form": ConsentWithdrawForm(),
            "can_edit": can_edit,
            "can_confirm_names": request.user.has_perm(access.MANAGE_TEAM, case),
            "can_reveal": request.user.has_perm(access.REVEAL_IDENTITY, case),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, reference: str, consent_id: int) -> HttpResponse:
    case = _editable_case(request, reference)
    consent = get_object_or_404(
        Consent.objects.select_related("witness").defer(*identity_fields_through("witness")),
        pk=consent_id,
        witness__case=case,
    )
    form = ConsentWithdrawForm(request.POST)
    if not form.is_valid():
        _errors_as_messages(request, form)
    else:
        try:
            services.consent_withdraw(
                consent=consent,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except Refused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Consent withdrawal recorded."))
    return redirect("witnesses:witness_detail", reference=case.reference, witness_id=consent.witness_id)


@login_required
@require_POST
def consent_confirm_name(request: HttpRequest, reference: str, consent_id: int) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    if not request.user.has_perm(access.MANAGE_TEAM, case):
        raise PermissionDenied
    consent = get_object_or_404(
        Consent.objects.select_related("witness").defer(*identity_fields_through("witness")),
        pk=consent_id,
        witness__case=case,
    )
    try:
        services.consent_confirm_name(consent=consent, actor=request.user)
    except Refused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Confirmed: the name may be shared in this scope."))
    return redirect("witnesses:witness_detail", reference=case.reference, witness_id=consent.witness_id)


def _errors_as_messages(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
def testimony_list(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    testimonies = (
        Testimony.objects.filter(case=case)
        .select_related("witness")
        .defer(*identity_fields_through("witness"))
        .order_by("-interview_date", "-id")
    )
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
            "bulk_form": BulkActionForm(
                case=case, records=Testimony.objects.none(), actions=services.BulkTestimonyAction.choices
            )
            if may_act_in_bulk(request.user, case)
            else None,
            "bulk_url": reverse("witnesses:testimony_bulk", args=[case.reference]),
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
            testimony = services.testimony_write(
                case=case,
                actor=request.user,
                testimony=testimony,
                values=form.values(),
                expected_version=form.cleaned_data["version"],
                incidents=form.cleaned_data["incidents"],
                translations=translation_rows(translations),
                recordings=form.cleaned_data["recordings"],
            )
        except Refused as refusal:
            add_refusal_to_form(form, refusal)
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
        Testimony.objects.select_related("case", "witness", "reviewed_by", "created_by").defer(
            *identity_fields_through("witness")
        ),
        pk=testimony_id,
        case=case,
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
            "recordings": media_summaries(testimony.media_items.all()),
            "revisions": record_revisions(testimony, limit=20),
            **selectors.testimony_actions(testimony=testimony, user=request.user),
            "review_form": ReviewForm(initial={"version": testimony.version}),
        },
    )


@login_required
@require_POST
def testimony_submit(request: HttpRequest, reference: str, testimony_id: int) -> HttpResponse:
    case = _editable_case(request, reference)
    testimony = get_object_or_404(Testimony, pk=testimony_id, case=case)
    version = request.POST.get("version", "")
    try:
        services.testimony_submit(
            testimony=testimony, actor=request.user, expected_version=int(version) if version.isdigit() else None
        )
        messages.success(request, _("Submitted for review."))
    except Refused as refusal:
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
        _errors_as_messages(request, form)
        return redirect("witnesses:testimony_detail", reference=case.reference, testimony_id=testimony.pk)
    try:
        services.testimony_review(
            testimony=testimony,
            reviewer=request.user,
            verified=form.cleaned_data["decision"] == "verify",
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
        messages.success(request, _("Review recorded."))
    except Refused as refusal:
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
        except Refused as refusal:
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


@login_required
@require_POST
def testimony_bulk(request: HttpRequest, reference: str) -> HttpResponse:
    """Apply one action to the testimonies ticked on the list, each through its single-item service."""
    case = case_get_for_user(reference=reference, user=request.user)
    if not may_act_in_bulk(request.user, case):
        raise PermissionDenied
    form = BulkActionForm(
        request.POST,
        case=case,
        records=Testimony.objects.filter(case=case)
        .select_related("case", "witness")
        .defer(*identity_fields_through("witness"))
        .order_by("-interview_date", "-id"),
        actions=services.BulkTestimonyAction.choices,
    )
    bulk_run(
        request,
        form,
        lambda testimonies, **action: services.testimonies_bulk_apply(
            testimonies=testimonies, actor=request.user, **action
        ),
    )
    return redirect("witnesses:testimony_list", reference=case.reference)
