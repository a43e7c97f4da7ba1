"""The way back to exact tolls and monthly rollups after a change the services did not see (a fix made in SQL, a
restored table, a counting rule or TIME_ZONE changed): manage.py rollups_rebuild.

Set-based: a few aggregate queries (GROUP BY) count what every incident's tolls and every monthly rollup of the
cases should be, with the rules the writes count by (services and VictimQuerySet), and only the rows that differ
from them are written.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from casework.cases.models import Case
from casework.cases.services import case_lock
from casework.incidents.models import (
    FacilityType,
    Governorate,
    Incident,
    IncidentMonthRollup,
    IncidentOccupationToll,
    Occupation,
    RollupFacility,
    RollupOccupation,
    RollupWeapon,
    Victim,
    VictimQuerySet,
    WeaponType,
)
from casework.incidents.services import (
    ROLLUP_TERM_ROWS,
    ROLLUP_TOLLS,
    occupation_toll_rows,
    rollup_month,
    rollup_term_counts,
    rollup_totals,
    tolls_from_counts,
)

# The columns the writes fill: an incident's tolls (tolls_from_counts) and its tolls by occupation.
INCIDENT_TOLLS = (*ROLLUP_TOLLS, "is_massacre")
OCCUPATION_TOLLS = tuple(VictimQuerySet.occupation_toll_counts())
ROLLUP_FIGURES = ("incidents", "massacres", "massacre_minimum", *ROLLUP_TOLLS)
# Each rollup child row's model, its term's vocabulary, and the word naming it in the lines.
ROLLUP_TERM_LABELS = {
    "RollupWeapon": (RollupWeapon, WeaponType, "weapon"),
    "RollupFacility": (RollupFacility, FacilityType, "facility"),
    "RollupOccupation": (RollupOccupation, Occupation, "occupation"),
}
BATCH = 500


@dataclass
class RollupRepair:
    """What rollups_repair checked and the differences it fixed, one readable line each."""

    incidents: int
    rollups: int
    fixed: list[str]


def rollups_repair(*, case_ids: Iterable[int] | None = None) -> RollupRepair:
    """Recount the tolls of every incident of these cases (None: every case), their tolls by occupation and
    their monthly rollups from the victims and incidents, write the rows that differ, and say what differed.
    Idempotent: a second run finds nothing to fix.

    One transaction, locking as the writes lock, in their order: the cases' rows (FOR NO KEY UPDATE, as an
    import or a record-linkage decision takes it first), then every incident of the cases (FOR NO KEY UPDATE,
    as a victim write locks its incident), then every monthly rollup row of the cases (FOR UPDATE, in key
    order, as rollups_recount does), each lock one statement. A write of these cases waits until the repair
    commits and then counts over its result; nothing is half repaired if it fails. The rollups checked are the
    months of the incidents and every rollup row the cases have (a month whose incidents moved away keeps its
    row with zeros, as a write leaves it).
    """
    with transaction.atomic():
        cases = Case.objects.order_by("pk")
        if case_ids is not None:
            cases = cases.filter(pk__in=list(case_ids))
        references = dict(cases.values_list("pk", "reference"))
        for case_id in references:
            case_lock(case_id)
        incidents = Incident.objects.filter(case_id__in=list(references))
        incidents_checked, tolls_fixed = _tolls_repair(incidents, references)
        rollups_checked, rollups_fixed = _rollups_repair(incidents, references)
    return RollupRepair(incidents=incidents_checked, rollups=rollups_checked, fixed=tolls_fixed + rollups_fixed)


def _tolls_repair(incidents, references: Mapping[int, str]) -> tuple[int, list[str]]:
    """Every incident's tolls and tolls by occupation, counted from its victims (as incident_tolls and
    incident_occupation_tolls count one incident) and written where they differ."""
    stored = {
        pk: (case_id, reference, dict(zip(INCIDENT_TOLLS, tolls, strict=True)))
        for pk, case_id, reference, *tolls in incidents.select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", "case_id", "reference", *INCIDENT_TOLLS)
    }
    victims = Victim.objects.filter(incident__in=incidents)
    counted = {
        row.pop("incident_id"): tolls_from_counts(row)
        for row in victims.counted().order_by().values("incident_id").annotate(**VictimQuerySet.toll_counts())
    }
    no_victims = tolls_from_counts(dict.fromkeys(VictimQuerySet.toll_counts(), 0))
    occupations_counted = {
        (row["incident_id"], row["occupation"]): tuple(row[name] for name in OCCUPATION_TOLLS)
        for row in occupation_toll_rows(victims, "incident_id")
        if row["incident_id"] in stored  # an incident added since the lock was counted by its own write
    }
    occupations_stored = [
        (pk, (incident_id, occupation_id), tuple(tolls))
        for pk, incident_id, occupation_id, *tolls in IncidentOccupationToll.objects.filter(
            incident_id__in=incidents.values("pk")
        ).values_list("pk", "incident_id", "occupation_id", *OCCUPATION_TOLLS)
        if incident_id in stored
    ]

    now = timezone.now()
    changed = [
        Incident(pk=pk, **counted.get(pk, no_victims), tolls_computed_at=now)
        for pk, (_case_id, _reference, tolls) in stored.items()
        if tolls != counted.get(pk, no_victims)
    ]
    Incident.objects.bulk_update(changed, [*INCIDENT_TOLLS, "tolls_computed_at"], batch_size=BATCH)
    _rows_sync(
        IncidentOccupationToll,
        stored=occupations_stored,
        counted=occupations_counted,
        build=lambda key, tolls: IncidentOccupationToll(
            incident_id=key[0], occupation_id=key[1], **dict(zip(OCCUPATION_TOLLS, tolls, strict=True))
        ),
        columns=OCCUPATION_TOLLS,
    )

    codes = _codes(Occupation)
    before, after = {}, {}
    for pk, (case_id, reference, tolls) in stored.items():
        label = f"{references[case_id]} incident {reference}"
        before[label], after[label] = dict(tolls), dict(counted.get(pk, no_victims))
    for _pk, (incident_id, occupation_id), tolls in occupations_stored:
        before[_incident_label(stored, references, incident_id)][_term(codes, "occupation", occupation_id)] = tolls
    for (incident_id, occupation_id), tolls in occupations_counted.items():
        after[_incident_label(stored, references, incident_id)][_term(codes, "occupation", occupation_id)] = tolls
    return len(stored), _differences(before, after)


def _rollups_repair(incidents, references: Mapping[int, str]) -> tuple[int, list[str]]:
    """Every monthly rollup of the cases, counted from their incidents' (repaired) tolls as rollups_recount
    counts one month, and written where it differs; a missing rollup row is created."""
    rollups = IncidentMonthRollup.objects.filter(case_id__in=list(references))
    by_month = incidents.order_by().annotate(month=rollup_month()).values("case_id", "month", "governorate_id")
    months = set(by_month.distinct().values_list("case_id", "month", "governorate_id"))
    missing = months - set(rollups.values_list("case_id", "month", "governorate_id"))
    IncidentMonthRollup.objects.bulk_create(
        [IncidentMonthRollup(case_id=case_id, month=month, governorate_id=governorate_id)
         for case_id, month, governorate_id in sorted(missing)],
        ignore_conflicts=True, batch_size=BATCH,
    )  # fmt: skip
    # Counted only once every rollup row is locked: a write that recounted a month before the lock committed
    # first, and its figures are in the counts below.
    stored = {
        (case_id, month, governorate_id): (pk, dict(zip(ROLLUP_FIGURES, figures, strict=True)))
        for pk, case_id, month, governorate_id, *figures in rollups.select_for_update()
        .order_by("case_id", "month", "governorate_id")
        .values_list("pk", "case_id", "month", "governorate_id", *ROLLUP_FIGURES)
    }
    massacre_minimum = VictimQuerySet.massacre_minimum()
    empty = {name: 0 for name in ROLLUP_FIGURES} | {"massacre_minimum": massacre_minimum}
    counted = dict.fromkeys(stored, empty)
    for row in by_month.annotate(**rollup_totals(massacre_minimum)):
        key = (row.pop("case_id"), row.pop("month"), row.pop("governorate_id"))
        if key in stored:  # a month first written since the lock was counted by that write
            counted[key] = {name: value or 0 for name, value in row.items()} | {"massacre_minimum": massacre_minimum}
    changed = [
        IncidentMonthRollup(pk=pk, **counted[key]) for key, (pk, figures) in stored.items() if figures != counted[key]
    ]
    IncidentMonthRollup.objects.bulk_update(changed, list(ROLLUP_FIGURES), batch_size=BATCH)

    governorates = _codes(Governorate)
    labels = {key: f"{references[key[0]]} rollup {key[1]:%Y-%m} {governorates.get(key[2])}" for key in stored}
    before = {labels[key]: dict(figures) for key, (_pk, figures) in stored.items() if key not in missing}
    after = {labels[key]: dict(figures) for key, figures in counted.items()}
    rollup_keys = {pk: key for key, (pk, _figures) in stored.items()}
    models_by_name = {"Incident": Incident, "IncidentOccupationToll": IncidentOccupationToll}
    for name, rows in rollup_term_counts(models_by_name, incidents, by_rollup=True).items():
        term_field, columns = ROLLUP_TERM_ROWS[name]
        model, vocabulary, word = ROLLUP_TERM_LABELS[name]
        codes = _codes(vocabulary)
        term_counted = {
            (stored[(case_id, month, governorate_id)][0], term_id): tuple(counts)
            for case_id, month, governorate_id, term_id, *counts in rows
            if (case_id, month, governorate_id) in stored
        }
        term_stored = [
            (pk, (rollup_id, term_id), tuple(counts))
            for pk, rollup_id, term_id, *counts in model.objects.filter(rollup__in=rollups).values_list(
                "pk", "rollup_id", term_field, *columns
            )
            if rollup_id in rollup_keys
        ]
        _rows_sync(
            model,
            stored=term_stored,
            counted=term_counted,
            build=lambda key, counts, model=model, term_field=term_field, columns=columns: model(
                rollup_id=key[0], **{term_field: key[1]}, **dict(zip(columns, counts, strict=True))
            ),
            columns=columns,
        )
        for figures, rows_of in ((before, [(key, counts) for _pk, key, counts in term_stored]),
                                 (after, term_counted.items())):  # fmt: skip
            for (rollup_id, term_id), counts in rows_of:
                label = labels[rollup_keys[rollup_id]]
                if label in figures:
                    figures[label][_term(codes, word, term_id)] = counts[0] if len(counts) == 1 else counts
    return len(stored), _differences(before, after)


def _rows_sync(
    model: type[models.Model],
    *,
    stored: list[tuple[int, Hashable, tuple]],
    counted: Mapping[Hashable, tuple],
    build: Callable[[Hashable, tuple], models.Model],
    columns: Iterable[str],
) -> None:
    """Make the rows of `model` say `counted` ({key: counts}), given the `stored` rows (pk, key, counts): the
    rows whose counts differ are updated, the rows of a key not counted (or a key's second row) deleted, the
    missing ones created; the rows already right are not written."""
    kept, changed, extra = set(), [], []
    for pk, key, counts in stored:
        if key in counted and key not in kept:
            kept.add(key)
            if counts != counted[key]:
                row = build(key, counted[key])
                row.pk = pk
                changed.append(row)
        else:
            extra.append(pk)
    for start in range(0, len(extra), BATCH):
        model.objects.filter(pk__in=extra[start : start + BATCH]).delete()
    model.objects.bulk_update(changed, list(columns), batch_size=BATCH)
    model.objects.bulk_create([build(key, counts) for key, counts in counted.items() if key not in kept],
                              batch_size=BATCH)  # fmt: skip


def _codes(vocabulary: type[models.Model]) -> dict[int, str]:
    return dict(vocabulary.objects.values_list("pk", "code"))


def _term(codes: Mapping[int, str], word: str, term_id: int | None) -> str:
    return f"{word} {codes.get(term_id) or '(none)'}"


def _incident_label(stored: Mapping, references: Mapping[int, str], incident_id: int) -> str:
    case_id, reference, _tolls = stored[incident_id]
    return f"{references[case_id]} incident {reference}"


def _differences(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    lines = []
    for label in sorted(before.keys() | after.keys()):
        if label not in before:
            lines.append(f"{label}: missing, recounted")
            continue
        old, new = before[label], after.get(label, {})
        changes = [
            f"{name} {_shown(old.get(name))} → {_shown(new.get(name))}"
            for name in sorted(old.keys() | new.keys())
            if old.get(name) != new.get(name)
        ]
        if changes:
            lines.append(f"{label}: {'; '.join(changes)}")
    return lines


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "/".join(str(part) for part in value)
    return str(value)
