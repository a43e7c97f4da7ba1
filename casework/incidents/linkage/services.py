"""Record linkage writes: the candidate search and reviewers' decisions, and the clusters they make.

A cluster is the records joined by "same person" decisions in force, transitively. It is counted once, through
its record with the smallest id: every other member's `Victim.duplicate_of` points at that record, the one
rule every toll and statistic already counts by (VictimQuerySet.counted_q). linkage_recluster keeps
duplicate_of equal to the clusters, and recounts the tolls and monthly rollups of every incident whose records
changed, in the decision's transaction, through the same path as every victim write.
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.services import case_lock
from casework.errors import Refused
from casework.incidents.linkage.blocking import candidate_pairs
from casework.incidents.linkage.scoring import STORE_MINIMUM, PersonRecord, Score, score_pair
from casework.incidents.models import LinkCandidate, LinkDecision, LinkVerdict, Victim
from casework.incidents.services import incidents_refresh_tolls

WINDOW_DAYS = 7


def _lock_case(case_id: int) -> bool:
    """Take the case's row lock (FOR NO KEY UPDATE) for the caller's transaction: searches, decisions and imports
    of one case run one at a time. False if the case is gone."""
    return case_lock(case_id)


# The candidate search ---------------------------------------------------------------------------------------


def _records_by_governorate(case_id: int) -> Iterable[list[PersonRecord]]:
    """The case's victims as PersonRecords, one governorate at a time (read in chunks, in governorate order),
    so memory holds one governorate's records, not the case's."""
    rows = (
        Victim.objects.filter(incident__case_id=case_id)
        .order_by("incident__governorate_id", "id")
        .values_list(
            "id",
            "name",
            "sex",
            "age",
            "age_band",
            "incident__start_time",
            "incident__governorate_id",
            "incident__locality",
        )  # fmt: skip
    )
    current, governorate = [], None
    zone = timezone.get_current_timezone()
    for victim_id, name, sex, age, age_band, start_time, governorate_id, locality in rows.iterator(chunk_size=5000):
        if governorate_id != governorate and current:
            yield current
            current = []
        governorate = governorate_id
        if not name.strip():
            continue
        day = timezone.localtime(start_time, zone).date() if start_time else None
        current.append(PersonRecord(victim_id, name, sex, age, age_band, day, governorate_id, locality))
    if current:
        yield current


def linkage_find_candidates(*, case_id: int, window_days: int = WINDOW_DAYS) -> int:
    """Find and store the case's candidate pairs (blocking, then scoring; pairs scoring under STORE_MINIMUM are
    left out); returns how many were stored. Idempotent: replaces the case's earlier candidates in one
    transaction, under a lock on the case (a second search, a decision or an import of the case waits for it),
    so running it twice stores the same pairs once; decisions are not touched. 0 if the case is gone.

    Memory holds one governorate's records and candidates at a time: each governorate's pairs are written
    before the next is read."""
    stored = 0
    with transaction.atomic():
        if not _lock_case(case_id):
            return 0
        LinkCandidate.objects.filter(case_id=case_id).delete()
        now = timezone.now()
        for records in _records_by_governorate(case_id):
            by_id = {record.id: record for record in records}
            found = []
            for first_id, second_id in candidate_pairs(records, window_days=window_days):
                score = score_pair(by_id[first_id], by_id[second_id], window_days=window_days)
                if score.value >= STORE_MINIMUM:
                    found.append((first_id, second_id, score))
            _write_candidates(case_id, found, now)
            stored += len(found)
    return stored


def _write_candidates(case_id: int, found: list[tuple[int, int, Score]], now) -> None:
    """Store one governorate's candidates. On PostgreSQL through COPY (no model instance per row: at 200,000
    victims bulk_create spent about 10 s of Python CPU building them); elsewhere through bulk_create."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(LinkCandidate._meta.db_table)
        columns = "case_id, first_id, second_id, score, reasons, found_at"
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for first_id, second_id, score in found:
                reasons = json.dumps([list(reason) for reason in score.reasons])
                copy.write_row((case_id, first_id, second_id, score.value, reasons, now))
        return
    LinkCandidate.objects.bulk_create(
        [
            LinkCandidate(
                case_id=case_id,
                first_id=first_id,
                second_id=second_id,
                score=score.value,
                reasons=[list(reason) for reason in score.reasons],
                found_at=now,
            )
            for first_id, second_id, score in found
        ],
        batch_size=2000,
    )


# Decisions and clusters -------------------------------------------------------------------------------------


class ConflictingDecision(Refused):
    """The cluster would join records a reviewer marked as different people; `pairs` names them."""

    def __init__(self, message: str, pairs: list[tuple[int, int]]):
        super().__init__(message, field="confirm")
        self.pairs = pairs


def decisions_in_force(case_id: int) -> dict[tuple[int, int], str]:
    """The latest decision on each pair of the case ({(first, second): verdict}); withdrawn ones left out."""
    latest: dict[tuple[int, int], str] = {}
    rows = LinkDecision.objects.filter(case_id=case_id).order_by("decided_at", "id")
    for first, second, verdict in rows.values_list("first_id", "second_id", "verdict").iterator(chunk_size=5000):
        latest[(first, second)] = verdict
    return {pair: verdict for pair, verdict in latest.items() if verdict != LinkVerdict.WITHDRAWN}


def clusters(same_pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Each record joined to another by `same_pairs` -> the smallest id of its cluster (transitive: a~b and
    b~c put a, b and c in one cluster). Records in no pair are left out."""
    parent: dict[int, int] = {}

    def root(record: int) -> int:
        parent.setdefault(record, record)
        while parent[record] != record:
            parent[record] = parent[parent[record]]
            record = parent[record]
        return record

    for first, second in same_pairs:
        first_root, second_root = root(first), root(second)
        if first_root != second_root:
            parent[max(first_root, second_root)] = min(first_root, second_root)
    return {record: root(record) for record in parent}


def _conflicts(cluster_of: dict[int, int], decisions: dict[tuple[int, int], str]) -> list[tuple[int, int]]:
    """Pairs marked as different people that the clusters put together."""
    return [
        pair
        for pair, verdict in decisions.items()
        if verdict == LinkVerdict.DIFFERENT
        and pair[0] in cluster_of
        and cluster_of.get(pair[0]) == cluster_of.get(pair[1])
    ]


def linkage_recluster(*, case_id: int) -> set[int]:
    """Write the case's clusters into Victim.duplicate_of (each member but the smallest id points at it; records
    in no cluster point nowhere) and recount the tolls and rollups of every incident whose records changed, in
    the caller's transaction; returns those incidents. Idempotent."""
    same = [pair for pair, verdict in decisions_in_force(case_id).items() if verdict == LinkVerdict.SAME]
    cluster_of = clusters(same)
    wanted = {record: (root if root != record else None) for record, root in cluster_of.items()}
    current = dict(
        Victim.objects.filter(incident__case_id=case_id)
        .filter(Q(pk__in=list(wanted)) | Q(duplicate_of__isnull=False))
        .values_list("pk", "duplicate_of_id")
    )
    changes: dict[int | None, list[int]] = defaultdict(list)
    for record, duplicate_of in current.items():
        target = wanted.get(record)
        if target != duplicate_of:
            changes[target].append(record)
    if not changes:
        return set()
    changed = [record for records in changes.values() for record in records]
    incident_ids = set(Victim.objects.filter(pk__in=changed).values_list("incident_id", flat=True))
    for target, records in changes.items():
        # A queryset update: the decision is the audited record; duplicate_of only mirrors the clusters.
        Victim.objects.filter(pk__in=records).update(duplicate_of_id=target)
    incidents_refresh_tolls(incident_ids=incident_ids)
    return incident_ids


@dataclass
class Decided:
    decision: LinkDecision
    # Pairs marked different that the new cluster joins anyway (only when the reviewer confirmed).
    conflicts: list[tuple[int, int]] = field(default_factory=list)


def linkage_decide(
    *, first: Victim, second: Victim, verdict: str, actor, confirm: bool = False, note: str = ""
) -> Decided:
    """Record a reviewer's decision on two records of one case and write the clusters it makes (see
    linkage_recluster), all in one transaction. "same" that would put records marked as different people in one
    cluster is refused with ConflictingDecision unless `confirm`. Undo: decide again, or "withdrawn".

    Callers check that `actor` may decide (access.REVIEW on the case: reviewers and case admins). Decisions of one
    case are taken one at a time (the case row is locked), so two reviewers cannot build conflicting clusters.
    """
    if verdict not in LinkVerdict.values:
        raise Refused(_("Choose one of the listed values."), field="verdict")
    if first.pk == second.pk:
        raise Refused(_("A record cannot be a duplicate of itself."), field="duplicate_of")
    case_id = first.incident.case_id
    if second.incident.case_id != case_id:
        raise Refused(_("Both records must belong to the same case."), field="duplicate_of")
    first, second = sorted((first, second), key=lambda victim: victim.pk)
    with transaction.atomic():
        _lock_case(case_id)
        decisions = decisions_in_force(case_id)
        conflicts: list[tuple[int, int]] = []
        if verdict == LinkVerdict.SAME:
            decisions[(first.pk, second.pk)] = verdict
            same = [pair for pair, value in decisions.items() if value == LinkVerdict.SAME]
            conflicts = _conflicts(clusters(same), decisions)
            if conflicts and not confirm:
                raise ConflictingDecision(
                    _(
                        "These records would join a cluster with records marked as different people (%(pairs)s). "
                        "Confirm to join them all the same."
                    )
                    % {"pairs": ", ".join(f"#{a} / #{b}" for a, b in conflicts)},
                    conflicts,
                )
        decision = LinkDecision.objects.create(
            case_id=case_id,
            first=first,
            second=second,
            verdict=verdict,
            decided_by=actor,
            joined_despite_conflict=bool(conflicts),
            note=note,
        )
        linkage_recluster(case_id=case_id)
    return Decided(decision, conflicts)


def linkage_unlink(*, victim: Victim, actor) -> int:
    """Take a record out of its cluster: every "same person" decision in force on it is withdrawn (recorded as
    a decision), and the clusters rewritten; returns how many were withdrawn."""
    case_id = victim.incident.case_id
    with transaction.atomic():
        _lock_case(case_id)
        pairs = [
            pair
            for pair, verdict in decisions_in_force(case_id).items()
            if verdict == LinkVerdict.SAME and victim.pk in pair
        ]
        LinkDecision.objects.bulk_create(
            [
                LinkDecision(case_id=case_id, first_id=a, second_id=b, verdict=LinkVerdict.WITHDRAWN, decided_by=actor)
                for a, b in pairs
            ]
        )
        linkage_recluster(case_id=case_id)
    return len(pairs)


def cluster_members(victim: Victim) -> list[Victim]:
    """The records of the victim's cluster (the counted one first), the victim alone if in none."""
    root_id = victim.duplicate_of_id or victim.pk
    return list(Victim.objects.filter(Q(pk=root_id) | Q(duplicate_of_id=root_id)).order_by("id"))


def sources_count(members: Iterable[Victim]) -> int:
    """How many sources documented a person: the distinct sources named on the records of their cluster, a
    record naming none counting as a source of its own."""
    return len({member.source_name.strip().casefold() or f"#{member.pk}" for member in members})
