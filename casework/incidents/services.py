"""Writes for incidents, their attributions and victims: the one door every screen, the API, the admin, the
spreadsheet import and commands go through. Each write runs the model's checks, claims the version, and
recomputes the incident's tolls in the same transaction, so a page never shows tolls older than its victims.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from casework.cases.models import Case
from casework.cases.versioning import version_claim
from casework.errors import Refused, checked, save_checked
from casework.incidents.models import (
    Attribution,
    FacilityType,
    Governorate,
    Incident,
    IncidentOccupationToll,
    IncidentType,
    LinkVerdict,
    Occupation,
    Party,
    Victim,
    VictimQuerySet,
    VictimSourceKind,
    WeaponType,
)
from casework.search.models import RecordKind
from casework.search.services import search_forget, search_index

INCIDENT_FIELDS = (
    "reference", "title", "description", "start_time", "end_time", "date_precision", "governorate", "district",
    "locality", "latitude", "longitude", "incident_type",
)  # fmt: skip
INCIDENT_TERMS = {"weapons": WeaponType, "facilities_hit": FacilityType}
VICTIM_FIELDS = ("name", "sex", "age", "age_band", "combatant_status", "status", "occupation", "notes", "source_name")
ATTRIBUTION_FIELDS = ("party", "confidence", "basis")
VOCABULARY_FIELDS = {
    "governorate": Governorate,
    "incident_type": IncidentType,
    "occupation": Occupation,
    "party": Party,
}


def incident_tolls(*, incident_id: int) -> dict[str, int | bool]:
    """The incident's tolls, computed by the database from its victims (each person counted once)."""
    counts = Victim.objects.filter(incident_id=incident_id).counted().aggregate(**VictimQuerySet.toll_counts())
    return tolls_from_counts(counts)


def tolls_from_counts(counts: Mapping[str, int]) -> dict[str, int | bool]:
    """An incident's tolls from the aggregates of VictimQuerySet.toll_counts() over its counted victims."""
    tolls = dict(counts)
    tolls["is_massacre"] = tolls.pop("massacre_victims") >= VictimQuerySet.massacre_minimum()
    return tolls


def occupation_toll_rows(victims: VictimQuerySet, *group_by: str):
    """The civilians killed among `victims` by occupation (each person once), grouped by `group_by` too
    (a values() queryset of {*group_by, occupation, killed, adult_women_killed, girls_killed})."""
    return (
        victims.counted()
        .filter(VictimQuerySet.killed_civilian_q())
        .order_by()
        .values(*group_by, "occupation")
        .annotate(**VictimQuerySet.occupation_toll_counts())
    )


def incident_occupation_tolls(*, incident_id: int) -> list[dict[str, int | None]]:
    """The incident's civilians killed by occupation ({occupation, killed, adult_women_killed, girls_killed}),
    computed by the database from its victims (each person counted once); occupations with nobody killed are
    left out."""
    return list(occupation_toll_rows(Victim.objects.filter(incident_id=incident_id)).order_by("occupation"))


def incident_refresh_tolls(*, incident_id: int, rollups_also: Iterable["RollupKey"] = ()) -> bool:
    """Recompute and store the incident's tolls and its civilians killed by occupation, then recount the
    monthly rollups of its case, month and governorate (and `rollups_also`: the ones an edit moved it out of);
    every victim and incident write calls it in its own transaction, so the statistics built on them never lag
    behind the victims. Idempotent; False if the incident is gone.

    The incident's row is locked first (FOR NO KEY UPDATE, which a victim's foreign key check does not wait
    for), so two writers of one incident count one after the other and the second sees the first's victims.
    A queryset update on purpose: a recomputed cache is not an edit anyone made, so it stays out of the
    revision history and does not move the version.
    """
    with transaction.atomic():
        keys = _incident_refresh_tolls(incident_id)
        if keys is None:
            return False
        rollups_recount(keys=[keys, *rollups_also])
    return True


def _incident_refresh_tolls(incident_id: int) -> "RollupKey | None":
    """The tolls of incident_refresh_tolls, without the rollups; the incident's rollup key (None: no incident)."""
    locked = list(
        Incident.objects.select_for_update(no_key=True)
        .filter(pk=incident_id)
        .values_list("case_id", "start_time", "governorate_id")
    )
    if not locked:
        return None
    tolls = incident_tolls(incident_id=incident_id)
    Incident.objects.filter(pk=incident_id).update(**tolls, tolls_computed_at=timezone.now())
    IncidentOccupationToll.objects.filter(incident_id=incident_id).delete()
    IncidentOccupationToll.objects.bulk_create(
        [
            IncidentOccupationToll(incident_id=incident_id, occupation_id=row.pop("occupation"), **row)
            for row in incident_occupation_tolls(incident_id=incident_id)
        ]
    )
    return rollup_key(*locked[0])


def incidents_refresh_tolls(*, incident_ids: Iterable[int]) -> None:
    """incident_refresh_tolls for several incidents in one transaction; each rollup is recounted once, after
    every incident's tolls, in a fixed order (so two imports of the same months cannot deadlock)."""
    with transaction.atomic():
        keys = [_incident_refresh_tolls(incident_id) for incident_id in sorted(set(incident_ids))]
        rollups_recount(keys=[key for key in keys if key is not None])


# --- Monthly rollups ----------------------------------------------------------------------------------------

RollupKey = tuple[int, dt.date, int]  # (case id, first day of the month in settings.TIME_ZONE, governorate id)


def rollup_zone() -> ZoneInfo:
    """The time zone the rollup months are counted in (the statistics use them only in this zone)."""
    return ZoneInfo(settings.TIME_ZONE)


def rollup_key(case_id: int, start_time: dt.datetime, governorate_id: int) -> RollupKey:
    month = timezone.localtime(start_time, rollup_zone()).date().replace(day=1)
    return (case_id, month, governorate_id)


def rollup_month(start_time: str = "start_time") -> TruncMonth:
    """rollup_key's month spelled for the database: the first day of the month of `start_time` (a path to an
    incident's start) in settings.TIME_ZONE, the month _month_bounds bounds."""
    return TruncMonth(start_time, tzinfo=rollup_zone(), output_field=DateField())


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = rollup_zone()
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return (
        dt.datetime.combine(month, dt.time(), tzinfo=zone),
        dt.datetime.combine(following, dt.time(), tzinfo=zone),
    )


def rollups_recount(*, keys: Iterable[RollupKey]) -> None:
    """Recount the monthly rollups of these (case, month, governorate) keys from their incidents, in the
    caller's transaction: the incidents, massacres and tolls, and the weapon, facility and occupation rows.

    Each rollup row is created if missing and locked (FOR UPDATE) before it is counted, in key order. A writer
    of another incident of the same month waits for the lock, then counts (a new snapshot, as every statement
    under READ COMMITTED) with the first writer's incidents committed: whoever counts last counts everything,
    so no update is lost. A month left with no incident keeps its row with zeros.
    """
    models = _rollup_models(django_apps)
    with transaction.atomic():
        for key in sorted(set(keys)):
            _rollup_recount(models, key, VictimQuerySet.massacre_minimum())


def _rollup_models(apps) -> dict:
    names = ("Incident", "IncidentMonthRollup", "RollupWeapon", "RollupFacility", "RollupOccupation",
             "IncidentOccupationToll")  # fmt: skip
    return {name: apps.get_model("incidents", name) for name in names}


def _rollup_recount(models: dict, key: RollupKey, massacre_minimum: int) -> None:
    Rollup = models["IncidentMonthRollup"]
    case_id, month, governorate_id = key
    where = {"case_id": case_id, "month": month, "governorate_id": governorate_id}
    Rollup.objects.bulk_create([Rollup(**where)], ignore_conflicts=True)
    rollup_id = Rollup.objects.select_for_update().filter(**where).values_list("pk", flat=True).get()
    start, end = _month_bounds(month)
    incidents = models["Incident"].objects.filter(
        case_id=case_id, governorate_id=governorate_id, start_time__gte=start, start_time__lt=end
    )
    totals = incidents.aggregate(**rollup_totals(massacre_minimum))
    Rollup.objects.filter(pk=rollup_id).update(
        massacre_minimum=massacre_minimum, **{name: value or 0 for name, value in totals.items()}
    )
    _rollup_children_write(models, {rollup_id: incidents})


ROLLUP_TOLLS = ("civilians_killed", "children_killed", "adult_women_killed", "injured", "civilians_injured")
# Each rollup child row: its term's field and its counts.
ROLLUP_TERM_ROWS = {
    "RollupWeapon": ("weapon_id", ("incidents",)),
    "RollupFacility": ("facility_id", ("incidents",)),
    "RollupOccupation": ("occupation_id", ("killed", "adult_women_killed", "girls_killed")),
}


def rollup_totals(massacre_minimum: int) -> dict:
    """A monthly rollup's figures as aggregates over its incidents (their stored tolls); a Sum over no incident
    is None, stored as 0."""
    return {
        "incidents": Count("id"),
        "massacres": Count("id", filter=Q(civilians_killed__gte=massacre_minimum)),
        **{name: Sum(name) for name in ROLLUP_TOLLS},
    }


def rollup_term_counts(models: dict, incidents, *, by_rollup: bool = False) -> dict:
    """The weapon, facility and occupation rows (ROLLUP_TERM_ROWS) of the rollup of `incidents`, added up by
    the database: {model name: values_list of (term id, *counts)}; `by_rollup`: of every rollup `incidents`
    fall in, each row led by its rollup key (case id, month, governorate id)."""
    key = ("rollup_case", "rollup_month", "rollup_governorate") if by_rollup else ()

    def grouped(rows, term: str, **counts):
        rows = rows.filter(incident_id__in=incidents.values("pk")).order_by()
        if by_rollup:
            rows = rows.annotate(
                rollup_case=F("incident__case_id"),
                rollup_month=rollup_month("incident__start_time"),
                rollup_governorate=F("incident__governorate_id"),
            )
        return rows.values(*key, term).annotate(**counts).values_list(*key, term, *counts)

    Incident, OccupationToll = models["Incident"], models["IncidentOccupationToll"]
    return {
        "RollupWeapon": grouped(Incident.weapons.through.objects, "weapontype_id", n=Count("id")),
        "RollupFacility": grouped(Incident.facilities_hit.through.objects, "facilitytype_id", n=Count("id")),
        "RollupOccupation": grouped(
            OccupationToll.objects, "occupation_id", k=Sum("killed"), w=Sum("adult_women_killed"), g=Sum("girls_killed")
        ),
    }


def _rollup_children_write(models: dict, incidents_by_rollup: dict) -> None:
    """Replace the weapon, facility and occupation rows of each rollup id by a count of its incidents."""
    ids = list(incidents_by_rollup)
    for name in ROLLUP_TERM_ROWS:
        models[name].objects.filter(rollup_id__in=ids).delete()
    rows: dict[str, list] = {name: [] for name in ROLLUP_TERM_ROWS}
    for rollup_id, incidents in incidents_by_rollup.items():
        for name, counted in rollup_term_counts(models, incidents).items():
            term_field, columns = ROLLUP_TERM_ROWS[name]
            for term_id, *counts in counted:
                values = dict(zip(columns, counts, strict=True))
                rows[name].append(models[name](rollup_id=rollup_id, **{term_field: term_id}, **values))
    for name, created in rows.items():
        models[name].objects.bulk_create(created, batch_size=2000)


def rollups_rebuild(*, apps=django_apps, massacre_minimum: int | None = None) -> int:
    """Recount every monthly rollup from the incidents (the migration that adds them, and the benchmark after a
    set-based seed): the services keep them exact afterwards. Returns the number of rollup rows."""
    models = _rollup_models(apps)
    if massacre_minimum is None:
        massacre_minimum = VictimQuerySet.massacre_minimum()
    with transaction.atomic():
        for name in ("RollupWeapon", "RollupFacility", "RollupOccupation", "IncidentMonthRollup"):
            models[name].objects.all().delete()
        keys = set(
            models["Incident"]
            .objects.order_by()
            .annotate(month=rollup_month())
            .values_list("case_id", "month", "governorate_id")
            .distinct()
        )
        for key in sorted(keys):
            _rollup_recount(models, key, massacre_minimum)
    return len(keys)


def _check_terms(case: Case, values: Mapping[str, Any]) -> None:
    """Vocabulary terms must be shared ones or the case's own: a term of another case is refused."""
    for name, model in VOCABULARY_FIELDS.items():
        term = values.get(name)
        if term is not None and not model.objects.available_for(case).filter(pk=term.pk).exists():
            raise Refused(_("“%(term)s” is not a term this case may use.") % {"term": term}, field=name)
    for name, model in INCIDENT_TERMS.items():
        terms = list(values.get(name) or ())
        available = set(
            model.objects.available_for(case).filter(pk__in=[t.pk for t in terms]).values_list("pk", flat=True)
        )
        unknown = [term for term in terms if term.pk not in available]
        if unknown:
            raise Refused(
                _("Not terms this case may use: %(terms)s.") % {"terms": ", ".join(str(term) for term in unknown)},
                field=name,
            )


@dataclass(frozen=True)
class VictimChange:
    """One victim row of an incident form: `victim` (new or existing) and its `values`, or `delete`."""

    victim: Victim
    values: Mapping[str, Any]
    delete: bool = False


def incident_write(
    *,
    case: Case,
    actor,
    values: Mapping[str, Any],
    incident: Incident | None = None,
    expected_version: int | None = None,
    attributions: list[Mapping[str, Any]] | None = None,
    victims: Iterable[VictimChange] = (),
) -> Incident:
    """Create an incident (`incident` None or unsaved) or change one, with its attributions and victim rows,
    in one transaction; the tolls are recomputed before it commits.

    `values` holds the incident's fields (INCIDENT_FIELDS and the term lists weapons / facilities_hit); only
    those given change. `attributions`, when given, replace the incident's attributions. An existing incident
    is changed only from `expected_version` (the version the person read): otherwise EditConflict, and
    nothing is written. Refused names the field of any rule broken.
    """
    unknown = set(values) - set(INCIDENT_FIELDS) - set(INCIDENT_TERMS)
    if unknown:
        raise ValueError(f"Not incident fields: {sorted(unknown)}")
    _check_terms(case, values)
    with transaction.atomic():
        if incident is None:
            incident = Incident(case=case)
        creating = incident.pk is None
        if creating:
            incident.case = case
            incident.created_by = actor
        else:
            if incident.case_id != case.pk:
                raise Refused(_("This incident belongs to another case."))
            version_claim(incident, expected_version=expected_version)
            # Its rollup before the edit: a new date or governorate moves its figures out of that month.
            previous = [
                rollup_key(*row)
                for row in Incident.objects.filter(pk=incident.pk).values_list(
                    "case_id", "start_time", "governorate_id"
                )
            ]
        changed = [name for name in INCIDENT_FIELDS if name in values]
        for name in changed:
            setattr(incident, name, values[name])
        incident._history_user = actor
        save_checked(incident, update_fields=None if creating else [*changed, "updated_at"])
        for name in INCIDENT_TERMS:
            if name in values:
                getattr(incident, name).set(values[name])
        if attributions is not None:
            _replace_attributions(incident, attributions, actor=actor)
        for change in victims:
            if change.delete:
                if change.victim.pk is not None:
                    _victim_delete(change.victim, incident=incident, actor=actor)
            else:
                _victim_save(change.victim, incident=incident, values=change.values, actor=actor)
        search_index(kind=RecordKind.INCIDENT, ids=[incident.pk])
        incident_refresh_tolls(incident_id=incident.pk, rollups_also=() if creating else previous)
    incident.refresh_from_db(fields=["version", "civilians_killed", "children_killed", "adult_women_killed",
                                     "injured", "civilians_injured", "is_massacre",
                                     "tolls_computed_at"])  # fmt: skip
    return incident


def _replace_attributions(incident: Incident, attributions: list[Mapping[str, Any]], *, actor) -> None:
    parties = [attribution.get("party") for attribution in attributions]
    if len({party.pk for party in parties if party is not None}) != len(parties):
        raise Refused(_("Each party can be named once per incident."), field="attributions")
    incident.attributions.all().delete()
    for values in attributions:
        unknown = set(values) - set(ATTRIBUTION_FIELDS)
        if unknown:
            raise ValueError(f"Not attribution fields: {sorted(unknown)}")
        _check_terms(incident.case, values)
        attribution = Attribution(incident=incident, **values)
        attribution._history_user = actor
        save_checked(attribution)


def _victim_save(victim: Victim, *, incident: Incident, values: Mapping[str, Any], actor) -> Victim:
    unknown = set(values) - set(VICTIM_FIELDS)
    if unknown:
        raise ValueError(f"Not victim fields: {sorted(unknown)}")
    _check_terms(incident.case, values)
    creating = victim.pk is None
    if creating:
        victim.incident = incident
    elif victim.incident_id != incident.pk:
        raise Refused(_("A victim is not moved to another incident."), field="incident")
    changed = [name for name in VICTIM_FIELDS if name in values]
    for name in changed:
        setattr(victim, name, values[name])
    victim._history_user = actor
    # The duplicate link is a reviewer's decision (victim_mark_duplicate), not part of an edit.
    save_checked(victim, update_fields=None if creating else changed, exclude=["duplicate_of"])
    search_index(kind=RecordKind.VICTIM, ids=[victim.pk])
    return victim


def _victim_delete(victim: Victim, *, incident: Incident, actor) -> None:
    if victim.incident_id != incident.pk:
        raise Refused(_("This victim belongs to another incident."))
    if victim.duplicates.exists():
        raise Refused(_("Other records are linked to this one as duplicates; link them elsewhere first."))
    victim._history_user = actor
    victim_id = victim.pk
    victim.delete()
    search_forget(kind=RecordKind.VICTIM, ids=[victim_id])


def victim_write(
    *,
    actor,
    values: Mapping[str, Any],
    victim: Victim | None = None,
    incident: Incident | None = None,
    source_kind: str = VictimSourceKind.FORM,
):
    """Add a victim to `incident`, or change `victim`; the incident's tolls are recomputed in the same
    transaction. Refused names the field of any rule broken (age and age band, say). A new victim keeps
    `source_kind`: how it was entered (a form, the API)."""
    if victim is None:
        if incident is None:
            raise ValueError("A new victim needs its incident.")
        victim = Victim(source_kind=source_kind)
    incident = incident or victim.incident
    with transaction.atomic():
        _victim_save(victim, incident=incident, values=values, actor=actor)
        incident_refresh_tolls(incident_id=incident.pk)
    return victim


def victim_delete(*, victim: Victim, actor) -> None:
    with transaction.atomic():
        incident_id = victim.incident_id
        _victim_delete(victim, incident=victim.incident, actor=actor)
        incident_refresh_tolls(incident_id=incident_id)


def victims_add(*, incident_victims: Iterable[tuple[Incident, Victim]], actor) -> int:
    """Add many new victims at once (a spreadsheet import): every row checked like a form row, written in
    batches, then each touched incident's tolls recomputed, all in the caller's transaction."""
    rows = []
    for incident, victim in incident_victims:
        victim.incident = incident
        checked(victim, exclude=["duplicate_of"])
        rows.append(victim)
    with transaction.atomic():
        if rows:
            bulk_create_with_history(rows, Victim, batch_size=500, default_user=actor)
            search_index(kind=RecordKind.VICTIM, ids=[victim.pk for victim in rows])
        incidents_refresh_tolls(incident_ids=[victim.incident_id for victim in rows])
    return len(rows)


def victim_mark_duplicate(*, victim: Victim, same_as: Victim | None, actor=None, confirm: bool = False) -> Victim:
    """A reviewer's finding that two records are one person: a "same person" decision of record linkage, which
    joins their clusters (each counted once, through its record with the smallest id); `same_as` None takes the
    record out of its cluster. Tolls and rollups are recounted in the same transaction. As on the linkage review
    page, a link that would put records marked as different people in one cluster is refused
    (linkage.ConflictingDecision) unless `confirm`."""
    from casework.incidents.linkage import services as linkage

    if same_as is None:
        linkage.linkage_unlink(victim=victim, actor=actor)
    else:
        linkage.linkage_decide(first=victim, second=same_as, verdict=LinkVerdict.SAME, actor=actor, confirm=confirm)
    victim.refresh_from_db(fields=["duplicate_of"])
    return victim
