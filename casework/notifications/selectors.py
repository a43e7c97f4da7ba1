"""Reads of review work and notifications: what waits for whom, and what a person has been told.

A person sees their notifications and assignments only in cases they are still on (superusers: all), so
leaving a team also takes its notifications off their page and their counts.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery

from casework.cases.access import REVIEW, ROLE_PERMISSIONS
from casework.cases.models import Case, CaseMembership
from casework.evidence.models import MediaItem, VerificationStatus
from casework.notifications.models import Notification, ReviewAssignment
from casework.witnesses.models import ReviewStatus, Testimony, identity_fields_through

MEDIA_WAITING = (VerificationStatus.UNVERIFIED, VerificationStatus.SUBMITTED)
REVIEW_ROLES = tuple(role for role, permissions in ROLE_PERMISSIONS.items() if REVIEW in permissions)


def media_is_waiting(item: MediaItem) -> bool:
    """Whether a media item waits for review (the same rule as `media_waiting`, for a loaded row)."""
    return item.verification_status in MEDIA_WAITING and item.withdrawn_at is None


# The review queue of a case -----------------------------------------------------------------------------------

QUEUE_VIEWS = ("all", "mine", "unassigned")


def _queue_filter(records: QuerySet, *, user, show: str) -> QuerySet:
    if show == "mine":
        return records.filter(review_assignment__assignee=user)
    if show == "unassigned":
        return records.filter(review_assignment__isnull=True)
    return records


def testimonies_waiting(*, case: Case, user, show: str = "all") -> QuerySet[Testimony]:
    """Testimonies submitted for review, oldest interview first, each with its witness (pseudonym only) and
    its assignment with the assignee, in one query."""
    testimonies = (
        Testimony.objects.filter(case=case, status=ReviewStatus.SUBMITTED)
        .select_related("witness", "review_assignment__assignee")
        .defer(*identity_fields_through("witness"))
        .order_by("interview_date", "id")
    )
    return _queue_filter(testimonies, user=user, show=show)


def media_waiting(*, case: Case, user, show: str = "all") -> QuerySet[MediaItem]:
    """Media items not yet reviewed (and not withdrawn), oldest first, each with its assignment and assignee,
    in one query; never their original file name or identifying metadata."""
    items = (
        MediaItem.objects.filter(case=case, verification_status__in=MEDIA_WAITING, withdrawn_at__isnull=True)
        .select_related("review_assignment__assignee")
        .defer("original_filename", "identifying_metadata", "metadata")
        .order_by("acquired_at", "id")
    )
    return _queue_filter(items, user=user, show=show)


def reviewers_of(case: Case) -> QuerySet:
    """The people who may be assigned reviews in `case`: active team members whose role may review."""
    return (
        get_user_model()
        .objects.filter(memberships__case=case, memberships__role__in=REVIEW_ROLES, is_active=True)
        .order_by("username")
    )


# What waits for one person, across their cases ------------------------------------------------------------------


def _still_reviewing(user) -> Q | Exists:
    """The assignments of cases in which `user` may still review (an empty Q for a superuser)."""
    if user.is_superuser:
        return Q()
    return Exists(CaseMembership.objects.filter(case=OuterRef("case"), user=user.pk, role__in=REVIEW_ROLES))


def assignments_waiting_for(user) -> QuerySet[ReviewAssignment]:
    """The person's assignments whose record still waits for review, in cases where they may review."""
    waiting = Q(testimony__status=ReviewStatus.SUBMITTED) | Q(
        media_item__verification_status__in=MEDIA_WAITING, media_item__withdrawn_at__isnull=True
    )
    return ReviewAssignment.objects.filter(waiting, _still_reviewing(user), assignee=user.pk)


def my_testimonies_to_review(user) -> QuerySet[Testimony]:
    """Testimonies assigned to the person and waiting, across their cases, with case and witness (pseudonym)."""
    assigned = assignments_waiting_for(user).filter(testimony__isnull=False).values("testimony")
    return (
        Testimony.objects.filter(pk__in=assigned)
        .select_related("case", "witness")
        .defer(*identity_fields_through("witness"))
        .order_by("case__reference", "interview_date", "id")
    )


def my_media_to_review(user) -> QuerySet[MediaItem]:
    """Media items assigned to the person and waiting, across their cases, with their case."""
    assigned = assignments_waiting_for(user).filter(media_item__isnull=False).values("media_item")
    return (
        MediaItem.objects.filter(pk__in=assigned)
        .select_related("case")
        .defer("original_filename", "identifying_metadata", "metadata")
        .order_by("case__reference", "acquired_at", "id")
    )


# Notifications ------------------------------------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    """The person's notifications in cases they are still on, newest first, with what each one shows (the
    case's reference, who did it, the witness's pseudonym, the item's kind, exhibit number, hash and state; a
    packet by its number), in one query."""
    notifications = Notification.objects.filter(recipient=user.pk)
    if not user.is_superuser:
        notifications = notifications.filter(Exists(CaseMembership.objects.filter(case=OuterRef("case"), user=user.pk)))
    return notifications.select_related("case", "actor", "testimony__witness", "media_item").only(
        "id",
        "kind",
        "reason",
        "created_at",
        "read_at",
        "case__reference",
        "actor__username",
        "testimony__witness__pseudonym",
        "media_item__kind",
        "media_item__sha256",
        "media_item__exhibit_number",
        "media_item__processing_state",
        "bundle",
    )


class _Count(Subquery):
    """COUNT(*) of a queryset, as a column of another query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def work_counts(user, case: Case | None = None) -> dict[str, int]:
    """For the navigation, in one query: the person's unread notifications, the records waiting for their
    review, and (on a case's pages) those of them in `case`."""
    waiting = assignments_waiting_for(user)
    counts = {
        "unread": _Count(notifications_for(user).unread().order_by().values("pk")),
        "waiting": _Count(waiting.order_by().values("pk")),
    }
    if case is not None:
        counts["waiting_here"] = _Count(waiting.filter(case=case.pk).order_by().values("pk"))
    row = get_user_model().objects.filter(pk=user.pk).annotate(**counts).values(*counts).first()
    return row or dict.fromkeys(counts, 0)
