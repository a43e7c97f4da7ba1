"""Opening cases and running their teams in the app: thin views over `casework.cases.services`.

Every team change has a confirmation step. The first post checks the change with the service itself (run
and undone), so a refusal (unknown person, already on the team, the last case admin) is shown beside the
field before anyone confirms; the second post, confirmed, makes it.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.cases import access, services
from casework.cases.forms import CaseCreateForm, TeamAddForm, TeamRemoveForm, TeamRoleForm
from casework.cases.models import Case, CaseMembership, CaseRole
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused, add_refusal_to_form


class _Undo(Exception):
    """Raised to roll back a write that was only a check."""


def check_with_service(write: Callable[[], object]) -> None:
    """Run `write` and undo everything it wrote; its Refused, if any, passes through."""
    try:
        with transaction.atomic():
            write()
            raise _Undo
    except _Undo:
        pass


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(access.CREATE_CASE):
        raise PermissionDenied
    form = CaseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(
                reference=form.cleaned_data["reference"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                admin=form.cleaned_data["admin"],
                actor=request.user,
            )
        except Refused as refusal:
            add_refusal_to_form(form, refusal)
        else:
            messages.success(
                request, _("Case %(reference)s opened. Add the people who work on it.") % {"reference": case.reference}
            )
            return redirect("cases:team", reference=case.reference)
    return render(
        request, "cases/case_create.html", {"case_form": form}, status=400 if request.method == "POST" else 200
    )


def _team_case(request: HttpRequest, reference: str, *, manage: bool) -> Case:
    case = case_get_for_user(reference=reference, user=request.user)
    if manage and not request.user.has_perm(access.MANAGE_TEAM, case):
        raise PermissionDenied
    return case


def _member(case: Case, user_id: int) -> CaseMembership:
    return get_object_or_404(CaseMembership.objects.select_related("user"), case=case, user_id=user_id)


def _render_team(
    request: HttpRequest,
    case: Case,
    *,
    add_form: TeamAddForm | None = None,
    failed_user_id: int | None = None,
    failed_form: TeamRoleForm | TeamRemoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    members = list(CaseMembership.objects.filter(case=case).select_related("user").order_by("user__username"))
    for membership in members:
        failed = membership.user_id == failed_user_id
        membership.role_form = (
            failed_form
            if failed and isinstance(failed_form, TeamRoleForm)
            else TeamRoleForm(initial={"role": membership.role}, auto_id=f"id_member_{membership.user_id}_%s")
        )
        membership.errors = failed_form.non_field_errors() if failed and failed_form is not None else []
    return render(
        request,
        "cases/team.html",
        {
            "case": case,
            "section": "team",
            "members": members,
            "can_manage": request.user.has_perm(access.MANAGE_TEAM, case),
            "add_form": add_form or TeamAddForm(),
        },
        status=status,
    )


def _confirm(request: HttpRequest, case: Case, *, question: str, action: str, fields: dict[str, str]) -> HttpResponse:
    return render(
        request,
        "cases/team_confirm.html",
        {"case": case, "section": "team", "question": question, "action": action, "fields": fields},
    )


@login_required
def team(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_team(request, _team_case(request, reference, manage=False))


@login_required
@require_POST
def team_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = _team_case(request, reference, manage=True)
    form = TeamAddForm(request.POST)
    if form.is_valid():
        person, role = form.cleaned_data["user"], form.cleaned_data["role"]

        def write():
            return services.membership_add(case=case, user=person, role=role, actor=request.user)

        try:
            if form.cleaned_data["confirmed"]:
                write()
                messages.success(
                    request,
                    _("%(person)s is now on the team as %(role)s.")
                    % {"person": person.get_username(), "role": CaseRole(role).label},
                )
                return redirect("cases:team", reference=case.reference)
            check_with_service(write)
        except Refused as refusal:
            add_refusal_to_form(form, refusal)
        else:
            return _confirm(
                request,
                case,
                question=_("Add %(person)s to the team of %(case)s as %(role)s?")
                % {"person": person.get_username(), "case": case.reference, "role": CaseRole(role).label},
                action=reverse("cases:team_add", args=[case.reference]),
                fields={"user": person.get_username(), "role": role},
            )
    return _render_team(request, case, add_form=form, status=400)


@login_required
@require_POST
def team_change_role(request: HttpRequest, reference: str, user_id: int) -> HttpResponse:
    case = _team_case(request, reference, manage=True)
    membership = _member(case, user_id)
    person = membership.user
    form = TeamRoleForm(request.POST, auto_id=f"id_member_{user_id}_%s")
    if form.is_valid():
        role = form.cleaned_data["role"]
        if role == membership.role:
            messages.info(request, _("%(person)s already has this role.") % {"person": person.get_username()})
            return redirect("cases:team", reference=case.reference)

        def write():
            return services.membership_change_role(case=case, user=person, role=role, actor=request.user)

        try:
            if form.cleaned_data["confirmed"]:
                write()
                messages.success(
                    request,
                    _("%(person)s is now %(role)s.") % {"person": person.get_username(), "role": CaseRole(role).label},
                )
                return redirect("cases:team", reference=case.reference)
            check_with_service(write)
        except Refused as refusal:
            add_refusal_to_form(form, refusal)
        else:
            return _confirm(
                request,
                case,
                question=_("Change the role of %(person)s on %(case)s from %(old)s to %(new)s?")
                % {
                    "person": person.get_username(),
                    "case": case.reference,
                    "old": membership.get_role_display(),
                    "new": CaseRole(role).label,
                },
                action=reverse("cases:team_change_role", args=[case.reference, person.pk]),
                fields={"role": role},
            )
    return _render_team(request, case, failed_user_id=person.pk, failed_form=form, status=400)


@login_required
@require_POST
def team_remove(request: HttpRequest, reference: str, user_id: int) -> HttpResponse:
    case = _team_case(request, reference, manage=True)
    person = _member(case, user_id).user
    form = TeamRemoveForm(request.POST)
    form.is_valid()

    def write():
        return services.membership_remove(case=case, user=person, actor=request.user)

    try:
        if form.cleaned_data.get("confirmed"):
            write()
            messages.success(request, _("%(person)s is no longer on the team.") % {"person": person.get_username()})
            if person.pk == request.user.pk and not request.user.is_superuser:
                return redirect("web:home")  # no longer on the case: its pages are not theirs any more
            return redirect("cases:team", reference=case.reference)
        check_with_service(write)
    except Refused as refusal:
        add_refusal_to_form(form, refusal)
        return _render_team(request, case, failed_user_id=person.pk, failed_form=form, status=400)
    return _confirm(
        request,
        case,
        question=_(
            "Take %(person)s off the team of %(case)s? They will no longer see anything of this case, and the "
            "reviews assigned to them in it will be unassigned."
        )
        % {"person": person.get_username(), "case": case.reference},
        action=reverse("cases:team_remove", args=[case.reference, person.pk]),
        fields={},
    )
