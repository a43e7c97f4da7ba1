"""Security events that Django announces with signals: sign-ins, and team changes made around the services.

Team changes made through `casework.cases.services` are audited there, with the person who made them, and
mark the membership so that these handlers do not record them twice. Any other save or delete of a
membership (a shell, a script, a fixture) is still recorded here, by an unknown actor. A `QuerySet.update()`
sends no signal and is not seen.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from casework.audit.models import AuditAction
from casework.audit.services import audit_record
from casework.cases.models import CaseMembership

UNKNOWN_ACTOR = "unknown (outside the app)"


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs):
    audit_record(action=AuditAction.SIGN_IN, actor=user, request=request)


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditAction.SIGN_OUT, actor=user, request=request)


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    # The username tried, never the password.
    audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        actor_label=str(credentials.get("username", ""))[:150],
        request=request,
    )


@receiver(pre_save, sender=CaseMembership)
def remember_previous_role(sender, instance, **kwargs):
    if getattr(instance, "_audit_recorded", False):
        return
    instance._previous_role = (
        CaseMembership.objects.filter(pk=instance.pk).values_list("role", flat=True).first() if instance.pk else None
    )


@receiver(post_save, sender=CaseMembership)
def record_membership_saved(sender, instance, created, **kwargs):
    previous = getattr(instance, "_previous_role", None)
    # Popped: the mark covers the one save the service audited, not later ones of the same object.
    if instance.__dict__.pop("_audit_recorded", False) or (not created and previous == instance.role):
        return
    audit_record(
        action=AuditAction.MEMBERSHIP_ADDED if created else AuditAction.MEMBERSHIP_CHANGED,
        actor_label=UNKNOWN_ACTOR,
        case=instance.case,
        target=instance.user,
        details={"user": instance.user.get_username(), "role": instance.role, "previous_role": previous},
    )


@receiver(post_delete, sender=CaseMembership)
def record_membership_removed(sender, instance, **kwargs):
    if instance.__dict__.pop("_audit_recorded", False):
        return
    audit_record(
        action=AuditAction.MEMBERSHIP_REMOVED,
        actor_label=UNKNOWN_ACTOR,
        case=instance.case,
        target=instance.user,
        details={"user": instance.user.get_username(), "role": instance.role},
    )
