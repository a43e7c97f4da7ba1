from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from casework.cases.versioning import version_claim
from casework.incidents.models import Incident, Victim, VictimQuerySet, VictimStatus


def incident_tolls(*, incident_id: int) -> dict[str, int | bool]:
    """The incident's tolls, computed by the database from its victims (each person counted once)."""
    killed_civilians = Q(status=VictimStatus.KILLED, combatant_status="civilian")
    counts = (
        Victim.objects.filter(incident_id=incident_id)
        .counted()
        .aggregate(
            civilians_killed=Count("id", filter=killed_civilians),
            children_killed=Count("id", filter=killed_civilians & VictimQuerySet.child_q()),
            adult_women_killed=Count("id", filter=killed_civilians & VictimQuerySet.adult_woman_q()),
            injured=Count("id", filter=Q(status=VictimStatus.INJURED)),
        )
    )
    counts["is_massacre"] = counts["civilians_killed"] >= settings.CASEWORK_MASSACRE_MIN_CIVILIANS_KILLED
    return counts


def incident_refresh_tolls(*, incident_id: int) -> bool:
    """Recompute and store the cached tolls. Idempotent; returns False if the incident is gone.

    A queryset update on purpose: a recomputed cache is not an edit anyone made, so it stays out of the
    revision history.
    """
    tolls = incident_tolls(incident_id=incident_id)
    updated = Incident.objects.filter(pk=incident_id).update(**tolls, tolls_computed_at=timezone.now())
    return updated == 1


def incident_schedule_toll_refresh(*, incident_id: int) -> None:
    """Ask a worker to recompute the tolls once the current transaction commits."""
    from casework.incidents.tasks import incident_refresh_tolls_task

    incident_refresh_tolls_task.delay_on_commit(incident_id)


def incident_save(*, form, attributions, victims, actor, expected_version: int | None) -> Incident:
    """Save an incident with its attribution and victim rows in one transaction.

    For an existing incident, `expected_version` is the version the person started editing from; if
    someone saved in between, EditConflict is raised and nothing is written.
    """
    with transaction.atomic():
        incident = form.instance
        if incident.pk is not None:
            version_claim(incident, expected_version=expected_version or 0)
        else:
            incident.created_by = actor
        incident = form.save()
        attributions.instance = incident
        victims.instance = incident
        attributions.save()
        victims.save()
        incident_schedule_toll_refresh(incident_id=incident.pk)
    return incident
