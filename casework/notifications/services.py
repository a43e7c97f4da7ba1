"""Writes of work that finds people: review assignments and in-app notifications (rows, never email).

The `notify_*` functions are called from the services where the event happens (a rejection, a packet ready,
a failed processing), inside their transaction: if that write is undone, so is its notification. They take
records, never text about them, except a rejection's reason (see models.py).
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases import access
from casework.cases.models import Case
from casework.errors import Refused
from casework.evidence.models import MediaItem
from casework.notifications.models import Notification, NotificationKind, ReviewAssignment
from casework.notifications.selectors import media_is_waiting
from casework.witnesses.models import ReviewStatus, Testimony

# Review assignments -----------------------------------------------------------------------------------------


def review_assign(*, record, assignee: AbstractBaseUser | None, actor: AbstractBaseUser) -> ReviewAssignment | None:
    """Assign a testimony or media item waiting for review to `assignee` (None: nobody), for `actor`.

    The caller has checked that `actor` may review in the record's case. The assignee must be able to review
    it too (access.REVIEW on the case) and may not be its author or the person who added it (two-person
    rule). Someone assigned by another person is notified; assigning the same person again changes nothing.
    """
    if isinstance(record, Testimony):
        target = {"testimony": record}
        if record.status != ReviewStatus.SUBMITTED:
            raise Refused(_("Only a testimony submitted for review can be assigned."))
    elif isinstance(record, MediaItem):
        target = {"media_item": record}
        if not media_is_waiting(record):
            raise Refused(_("Only a media item waiting for review can be assigned."))
    else:
        raise TypeError(f"Cannot assign a {type(record).__name__} for review")
    case = record.case
    with transaction.atomic():
        current = ReviewAssignment.objects.select_for_update().filter(**target).first()
        if assignee is None:
            if current is not None:
                current.delete()
            return None
        if not assignee.is_active or not assignee.has_perm(access.REVIEW, case):
            raise Refused(_("Only someone who may review in this case can be assigned."), field="assignee")
        if _is_author(record, assignee):
            raise Refused(
                _("%(person)s recorded or added this, so someone else must review it.")
                % {"person": assignee.get_username()},
                field="assignee",
            )
        if current is not None and current.assignee_id == assignee.pk:
            return current
        assignment = current or ReviewAssignment(case=case, **target)
        assignment.assignee = assignee
        assignment.assigned_by = actor
        assignment.assigned_at = timezone.now()
        assignment.save()
        if assignee.pk != actor.pk:
            Notification.objects.create(
                recipient=assignee, case=case, kind=NotificationKind.ASSIGNED, actor=actor, **target
            )
    return assignment


def _is_author(record, person) -> bool:
    if isinstance(record, Testimony):
        return record.wrote_or_edited(person)
    return record.acquired_by_id == person.pk


def assignments_release(*, case: Case, user: AbstractBaseUser) -> int:
    """Take `user` off every review assignment of `case` (they left its team or may no longer review)."""
    deleted, _by_model = ReviewAssignment.objects.filter(case=case, assignee=user).delete()
    return deleted


# Notifications ----------------------------------------------------------------------------------------------


def notify_testimony_rejected(*, testimony, reviewer: AbstractBaseUser) -> None:
    """Tell whoever recorded and interviewed for a testimony that it was rejected, and why."""
    recipients = {testimony.created_by_id, testimony.interviewer_id} - {reviewer.pk, None}
    Notification.objects.bulk_create(
        Notification(
            recipient_id=recipient_id,
            case_id=testimony.case_id,
            kind=NotificationKind.TESTIMONY_REJECTED,
            actor=reviewer,
            testimony=testimony,
            reason=testimony.review_reason,
        )
        for recipient_id in sorted(recipients)
    )


def notify_packet_ready(*, bundle) -> None:
    """Tell the person who requested a packet that it is ready to download."""
    _notify_once(
        recipient_id=bundle.requested_by_id, case_id=bundle.case_id, kind=NotificationKind.PACKET_READY, bundle=bundle
    )


def notify_processing_failed(*, item) -> None:
    """Tell the person who added a media item that its processing failed (or it was quarantined)."""
    _notify_once(
        recipient_id=item.acquired_by_id, case_id=item.case_id, kind=NotificationKind.PROCESSING_FAILED, media_item=item
    )


def _notify_once(*, recipient_id: int, case_id: int, kind: str, **record) -> None:
    """A notification, unless the same one is still unread (a packet rebuilt, a failure recorded twice)."""
    same = Notification.objects.unread().filter(recipient_id=recipient_id, kind=kind, **record)
    if not same.exists():
        Notification.objects.create(recipient_id=recipient_id, case_id=case_id, kind=kind, **record)


def notifications_mark_read(*, user: AbstractBaseUser, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read: those with `ids`, or all of them. Others' are never touched."""
    unread = Notification.objects.unread().filter(recipient=user)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
