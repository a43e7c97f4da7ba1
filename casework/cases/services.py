"""Cases and their teams: opening a case, and who is on it in which role. Each team change is audited with the
person who made it.

The caller decides whether `actor` may do this (`access.CREATE_CASE` to open a case, `access.MANAGE_TEAM` to
change its team); a page, the API, the admin and the commands all come through here so that the audit log
names them. A command has no signed-in person: it passes `actor=None` and an `actor_label` saying what ran.
A change made around these functions (a shell, a fixture) is still recorded by the signals in
`casework.audit.signals`, as made by an unknown person.

A case keeps at least one case admin: removing the last one, or giving them another role, is refused.
"""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casework.audit.models import AuditAction
from casework.audit.services import audit_record
from casework.cases.access import REVIEW, ROLE_PERMISSIONS
from casework.cases.models import Case, CaseMembership, CaseRole
from casework.errors import Refused, checked, save_checked
from casework.notifications.services import assignments_release

CASE_FIELDS = ("reference", "title", "description")


def case_lock(case_id: int, *, no_key: bool = True) -> bool:
    """Take the case's row lock for the caller's transaction: the writes that must run one at a time within a
    case (exhibit numbering, imports, record linkage, rollups_rebuild, team changes) each take it first. False
    if the case is gone.

    FOR NO KEY UPDATE by default: inserting a row that refers to the case takes FOR KEY SHARE on it, which FOR
    UPDATE would block (a deadlock with a writer holding another lock this one waits for). `no_key=False`
    takes FOR UPDATE, which also holds back those inserts. On SQLite transactions are IMMEDIATE (settings):
    writers are serialised already."""
    locked = Case.objects.select_for_update(no_key=no_key).filter(pk=case_id)
    return bool(list(locked.values_list("pk", flat=True)))


def case_create(
    *,
    reference: str,
    title: str,
    description: str = "",
    admin: AbstractBaseUser | None = None,
    actor: AbstractBaseUser | None,
    actor_label: str = "",
) -> Case:
    """Open a case with its first case admin: `admin`, or else the person opening it. All or nothing.

    Refused (nothing written) for a reference already used or not in the reference format, an empty title,
    or no case admin (a command must name one), and for an admin whose account is inactive.
    """
    admin = admin if admin is not None else actor
    with transaction.atomic():
        case = Case(reference=reference.strip(), title=title.strip(), description=description.strip())
        errors: dict[str, list[str]] = {}
        try:
            # Uniqueness below, in words that say what to do.
            case.full_clean(validate_unique=False)
        except ValidationError as error:
            errors.update(Refused.from_validation_error(error).errors)
        if case.reference and Case.objects.filter(reference=case.reference).exists():
            errors.setdefault("reference", []).append(_("Another case already has this reference; choose another."))
        if admin is None:
            errors.setdefault("admin", []).append(_("Name the case's first case admin."))
        elif not admin.is_active:
            errors.setdefault("admin", []).append(_("This account is switched off; name an active one."))
        if errors:
            raise Refused(errors=errors)
        save_checked(case)
        membership_add(case=case, user=admin, role=CaseRole.CASE_ADMIN, actor=actor, actor_label=actor_label)
    return case


def case_update(*, case: Case, values: Mapping[str, Any], actor: AbstractBaseUser | None) -> Case:
    """Change a case's title or description. The reference never changes: it prefixes the exhibit numbers
    already given out."""
    unknown = set(values) - {"title", "description"}
    if unknown:
        raise ValueError(f"Not changeable case fields: {sorted(unknown)}")
    for name, value in values.items():
        setattr(case, name, value.strip())
    save_checked(case, update_fields=list(values) or None)
    return case


def _audit(
    *, action: AuditAction, membership: CaseMembership, actor, actor_label: str = "", previous_role: str | None = None
) -> None:
    details = {"user": membership.user.get_username(), "role": membership.role}
    if action == AuditAction.MEMBERSHIP_CHANGED:
        details["previous_role"] = previous_role
    audit_record(
        action=action,
        actor=actor,
        actor_label=actor_label,
        case=membership.case,
        target=membership.user,
        details=details,
    )
    # Tells the signal handlers that this change is already in the log.
    membership._audit_recorded = True


def _lock_team(case: Case) -> None:
    """Serialise the team changes of one case (two case admins demoting each other at once must not leave it
    with none): each takes the case's row lock for its transaction."""
    case_lock(case.pk, no_key=False)


def _refuse_losing_last_admin(membership: CaseMembership) -> None:
    if membership.role != CaseRole.CASE_ADMIN:
        return
    others = CaseMembership.objects.filter(case=membership.case_id, role=CaseRole.CASE_ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise Refused(
            _("%(person)s is the case's last case admin. Make someone else case admin first.")
            % {"person": membership.user.get_username()},
            field="user",
        )


def _release_work(*, case: Case, user: AbstractBaseUser, role: str | None) -> None:
    """Someone who may no longer review in the case is taken off the reviews assigned to them there."""
    if role is None or REVIEW not in ROLE_PERMISSIONS[role]:
        assignments_release(case=case, user=user)


def membership_add(
    *, case: Case, user: AbstractBaseUser, role: str, actor: AbstractBaseUser | None, actor_label: str = ""
) -> CaseMembership:
    """Put `user` on the team of `case` in `role`; Refused if they are on it already, their account is
    switched off, or the role is unknown."""
    with transaction.atomic():
        _lock_team(case)
        if CaseMembership.objects.filter(case=case, user=user).exists():
            raise Refused(_("This person is already on the case's team."), field="user")
        if not user.is_active:
            raise Refused(_("This account is switched off; name an active one."), field="user")
        membership = CaseMembership(case=case, user=user, role=role)
        checked(membership)
        _audit(action=AuditAction.MEMBERSHIP_ADDED, membership=membership, actor=actor, actor_label=actor_label)
        membership.save()
    return membership


def membership_change_role(
    *, case: Case, user: AbstractBaseUser, role: str, actor: AbstractBaseUser | None, actor_label: str = ""
) -> CaseMembership:
    """Give `user` another role on `case`. The same role again changes nothing and records nothing; the last
    case admin keeps that role."""
    with transaction.atomic():
        _lock_team(case)
        membership = CaseMembership.objects.select_related("user").filter(case=case, user=user).first()
        if membership is None:
            raise Refused(_("This person is not on the case's team."), field="user")
        previous_role = membership.role
        if previous_role == role:
            return membership
        _refuse_losing_last_admin(membership)
        membership.role = role
        checked(membership)
        _audit(
            action=AuditAction.MEMBERSHIP_CHANGED,
            membership=membership,
            actor=actor,
            actor_label=actor_label,
            previous_role=previous_role,
        )
        membership.save(update_fields=["role"])
        _release_work(case=case, user=user, role=role)
    return membership


def membership_remove(
    *, case: Case, user: AbstractBaseUser, actor: AbstractBaseUser | None, actor_label: str = ""
) -> None:
    """Take `user` off the team of `case`; Refused if they are not on it, or are its last case admin."""
    with transaction.atomic():
        _lock_team(case)
        membership = CaseMembership.objects.select_related("user").filter(case=case, user=user).first()
        if membership is None:
            raise Refused(_("This person is not on the case's team."), field="user")
        _refuse_losing_last_admin(membership)
        _audit(action=AuditAction.MEMBERSHIP_REMOVED, membership=membership, actor=actor, actor_label=actor_label)
        membership.delete()
        _release_work(case=case, user=user, role=None)
