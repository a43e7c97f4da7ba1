"""Team changes: who is on a case and in which role. Each change is audited with the person who made it.

The caller decides whether `actor` may change the team (`access.MANAGE_TEAM`); the admin, a page or a command
all come through here so that the audit log names them. A change made around these functions (a shell, a
fixture) is still recorded by the signals in `casework.audit.signals`, as made by an unknown person.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from casework.audit.models import AuditAction
from casework.audit.services import audit_record
from casework.cases.models import Case, CaseMembership
from casework.errors import Refused, checked


def _audit(*, action: AuditAction, membership: CaseMembership, actor, previous_role: str | None = None) -> None:
    details = {"user": membership.user.get_username(), "role": membership.role}
    if action == AuditAction.MEMBERSHIP_CHANGED:
        details["previous_role"] = previous_role
    audit_record(action=action, actor=actor, case=membership.case, target=membership.user, details=details)
    # Tells the signal handlers that this change is already in the log.
    membership._audit_recorded = True


def membership_add(*, case: Case, user: AbstractBaseUser, role: str, actor: AbstractBaseUser) -> CaseMembership:
    """Put `user` on the team of `case` in `role`; Refused if they are on it already or the role is unknown."""
    with transaction.atomic():
        if CaseMembership.objects.select_for_update().filter(case=case, user=user).exists():
            raise Refused(_("This person is already on the case's team."), field="user")
        membership = CaseMembership(case=case, user=user, role=role)
        checked(membership)
        _audit(action=AuditAction.MEMBERSHIP_ADDED, membership=membership, actor=actor)
        membership.save()
    return membership


def membership_change_role(*, case: Case, user: AbstractBaseUser, role: str, actor: AbstractBaseUser) -> CaseMembership:
    """Give `user` another role on `case`. The same role again changes nothing and records nothing."""
    with transaction.atomic():
        membership = CaseMembership.objects.select_for_update().filter(case=case, user=user).first()
        if membership is None:
            raise Refused(_("This person is not on the case's team."), field="user")
        previous_role = membership.role
        if previous_role == role:
            return membership
        membership.role = role
        checked(membership)
        _audit(action=AuditAction.MEMBERSHIP_CHANGED, membership=membership, actor=actor, previous_role=previous_role)
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, case: Case, user: AbstractBaseUser, actor: AbstractBaseUser) -> None:
    """Take `user` off the team of `case`; Refused if they are not on it."""
    with transaction.atomic():
        membership = CaseMembership.objects.select_for_update().filter(case=case, user=user).first()
        if membership is None:
            raise Refused(_("This person is not on the case's team."), field="user")
        _audit(action=AuditAction.MEMBERSHIP_REMOVED, membership=membership, actor=actor)
        membership.delete()
