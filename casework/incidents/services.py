from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.versioning import version_claim
from casework.incidents.models import Attribution, Incident, Victim, VictimQuerySet


def incident_tolls(*, incident_id: int) -> dict[str, int | bool]:
    """The incident's tolls, computed by the database from its victims (each person counted once)."""
    counts = Victim.objects.filter(incident_id=incident_id).counted().aggregate(**VictimQuerySet.toll_counts())
    counts["is_massacre"] = counts.pop("massacre_victims") >= VictimQuerySet.massacre_minimum()
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


def incident_write(
    *, incident: Incident, values: dict, attributions: list[dict] | None, actor, expected_version: int | None
) -> Incident:
    """Create or change an incident from checked values (the API's way in).

    Many-to-many values (weapons, facilities_hit) replace the current set; `attributions`, when given,
    replace the incident's attributions. For an existing incident, `expected_version` must be the version
    the person read, or EditConflict is raised and nothing is written.
    """
    many_to_many = {name: values.pop(name) for name in ("weapons", "facilities_hit") if name in values}
    with transaction.atomic():
        if incident.pk is not None:
            version_claim(incident, expected_version=expected_version or 0)
        else:
            incident.created_by = actor
        for name, value in values.items():
            setattr(incident, name, value)
        incident.save()
        for name, terms in many_to_many.items():
            getattr(incident, name).set(terms)
        if attributions is not None:
            incident.attributions.all().delete()
            for attribution in attributions:
                Attribution.objects.create(incident=incident, **attribution)
        incident_schedule_toll_refresh(incident_id=incident.pk)
    return incident


def victim_write(*, victim: Victim, values: dict) -> Victim:
    """Create or change a victim; the incident's tolls are recomputed after the commit."""
    with transaction.atomic():
        for name, value in values.items():
            setattr(victim, name, value)
        victim.save()
        incident_schedule_toll_refresh(incident_id=victim.incident_id)
    return victim


def victim_delete(*, victim: Victim) -> None:
    with transaction.atomic():
        incident_id = victim.incident_id
        victim.delete()
        incident_schedule_toll_refresh(incident_id=incident_id)


class DuplicateRefused(ValueError):
    """A duplicate link the rules do not allow; the message is shown to the person."""


def victim_mark_duplicate(*, victim: Victim, same_as: Victim | None) -> Victim:
    """A reviewer's finding that two records are one person: `victim` is then counted only through `same_as`.

    Links point at the record that is counted, never along a chain, so each person is counted exactly once.
    """
    if same_as is not None:
        if same_as.pk == victim.pk:
            raise DuplicateRefused(_("A record cannot be a duplicate of itself."))
        if same_as.incident.case_id != victim.incident.case_id:
            raise DuplicateRefused(_("Both records must belong to the same case."))
        if same_as.duplicate_of_id is not None:
            raise DuplicateRefused(
                _("Record %(id)s is itself a duplicate; link to the record it duplicates.") % {"id": same_as.pk}
            )
        if victim.duplicates.exists():
            raise DuplicateRefused(_("Other records are linked to this one; link them elsewhere first."))
    with transaction.atomic():
        victim.duplicate_of = same_as
        victim.save(update_fields=["duplicate_of"])
        incident_schedule_toll_refresh(incident_id=victim.incident_id)
    return victim
