"""The database itself rejects bad values: each row is written with QuerySet.update(), bypassing forms."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.cases.models import Case, CaseMembership
from casework.evidence.custody import custody_record
from casework.evidence.models import CustodyEvent, MediaItem, NearDuplicate
from casework.incidents.models import Attribution, Governorate
from casework.witnesses.models import TestimonyTranslation
from tests.factories import IncidentFactory, WitnessFactory

pytestmark = pytest.mark.django_db


def update(row, **values) -> None:
    type(row).objects.filter(pk=row.pk).update(**values)


REJECTED = [
    ("case", {"reference": "lower case"}),
    ("membership", {"role": "dictator"}),
    ("incident", {"date_precision": "someday"}),
    ("incident", {"latitude": 90.000001}),
    ("incident", {"longitude": -180.5}),
    ("incident", {"latitude": None}),  # longitude without latitude
    ("incident", {"civilians_killed": 1, "children_killed": 2}),
    ("attribution", {"confidence": "certain"}),
    ("attribution", {"basis": ""}),
    ("victim", {"sex": "x"}),
    ("victim", {"status": "fine"}),
    ("victim", {"combatant_status": "spy"}),
    ("victim", {"age_band": "elder"}),
    ("victim", {"age": 131}),
    ("victim", {"age": 18, "age_band": "child"}),
    ("victim", {"age": 17, "age_band": "adult"}),
    ("witness", {"pseudonym": ""}),
    ("witness", {"relationship": "friend"}),
    ("witness", {"risk_level": "extreme"}),
    ("witness", {"reliability": "gossip"}),
    ("witness", {"connection": "psychic"}),
    ("consent", {"scope": "everyone"}),
    ("consent", {"method": "telepathy"}),
    ("consent", {"withdrawn_on": date(2019, 12, 31)}),
    ("testimony", {"method": "carrier-pigeon"}),
    ("testimony", {"status": "lost"}),
    ("testimony", {"original_text": ""}),
    ("testimony", {"status": "rejected", "review_reason": ""}),
    ("testimony", {"status": "verified"}),  # a decision without a reviewer
    ("translation", {"text": ""}),
    ("media", {"sha256": "not-a-hash"}),
    ("media", {"sha256": "A" * 64}),
    ("media", {"size_bytes": 0}),
    ("media", {"kind": "hologram"}),
    ("media", {"source": "rumour"}),
    ("media", {"processing_state": "limbo"}),
    ("media", {"verification_status": "maybe"}),
    ("media", {"latitude": -91}),
    ("media", {"duration_seconds": -1}),
    ("media", {"verification_status": "verified"}),  # a decision without a reviewer
    ("near_duplicate", {"status": "twins"}),
    ("bundle", {"status": "lost"}),
    ("bundle", {"profile": "everyone"}),
    ("bundle", {"scope": "world"}),
    ("bundle", {"progress_percent": 101}),
    ("bundle", {"recipient": ""}),
    ("bundle", {"status": "ready"}),  # ready without an archive and manifest hash
    ("bundle", {"status": "failed"}),  # failed without a reason
]


@pytest.mark.parametrize(("row_name", "values"), REJECTED, ids=[f"{n}-{'-'.join(v)}" for n, v in REJECTED])
def test_database_rejects_bad_value(one_of_everything, row_name, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        update(one_of_everything[row_name], **values)


ACCEPTED = [
    ("incident", {"latitude": 90, "longitude": -180}),
    ("victim", {"age": 17, "age_band": "child"}),
    ("victim", {"age": 18, "age_band": "adult"}),
    ("victim", {"age": None, "age_band": "child"}),
    ("victim", {"age": 40, "age_band": "unknown"}),
    ("consent", {"withdrawn_on": date(2020, 1, 1)}),
    ("bundle", {"progress_percent": 100}),
    ("bundle", {"status": "failed", "failure_reason": "worker lost"}),
]


@pytest.mark.parametrize(("row_name", "values"), ACCEPTED, ids=[f"{n}-{'-'.join(v)}" for n, v in ACCEPTED])
def test_database_accepts_boundary_value(one_of_everything, row_name, values):
    update(one_of_everything[row_name], **values)


def test_two_person_rule_on_testimonies(one_of_everything, intake_worker, reviewer):
    testimony = one_of_everything["testimony"]
    with pytest.raises(IntegrityError), transaction.atomic():
        update(testimony, status="verified", reviewed_by=intake_worker, reviewed_at=timezone.now())
    update(testimony, status="verified", reviewed_by=reviewer, reviewed_at=timezone.now())


def test_uniqueness_rules(one_of_everything, case, intake_worker):
    rows = one_of_everything
    attempts = [
        lambda: Case.objects.create(reference=case.reference, title="copy"),
        lambda: CaseMembership.objects.create(case=case, user=intake_worker, role="analyst"),
        lambda: IncidentFactory(case=case, reference=rows["incident"].reference),
        lambda: Attribution.objects.create(
            incident=rows["incident"],
            party=rows["attribution"].party,
            confidence="likely",
            basis="again",
        ),
        lambda: WitnessFactory(case=case, pseudonym=rows["witness"].pseudonym),
        lambda: TestimonyTranslation.objects.create(testimony=rows["testimony"], language="en", text="again"),
        lambda: Governorate.objects.create(code="idlib", name="Idlib again"),
        lambda: NearDuplicate.objects.create(
            case=case,
            first=rows["near_duplicate"].first,
            second=rows["near_duplicate"].second,
            distance=1,
        ),
        lambda: NearDuplicate.objects.create(
            case=case,
            first=rows["near_duplicate"].second,
            second=rows["near_duplicate"].first,
            distance=1,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError), transaction.atomic():
            attempt()


def test_same_bytes_once_per_case_but_allowed_in_another_case(one_of_everything, other_case):
    media = one_of_everything["media"]
    same = {field: getattr(media, field) for field in ("sha256", "size_bytes", "mime_type", "kind", "source")}
    with pytest.raises(IntegrityError), transaction.atomic():
        MediaItem.objects.create(
            case=media.case, original="originals/x", acquired_at=timezone.now(), acquired_by=media.acquired_by, **same
        )
    MediaItem.objects.create(
        case=other_case, original="originals/y", acquired_at=timezone.now(), acquired_by=media.acquired_by, **same
    )


def test_vocabulary_codes_are_unique_among_shared_terms_and_within_a_case(case, other_case):
    Governorate.objects.create(case=case, code="idlib", name="Idlib (case term)")  # shadows a shared code: allowed
    Governorate.objects.create(case=other_case, code="idlib", name="Idlib (other case)")
    with pytest.raises(IntegrityError), transaction.atomic():
        Governorate.objects.create(case=case, code="idlib", name="twice in one case")


def test_victim_cannot_be_a_duplicate_of_itself(one_of_everything):
    victim = one_of_everything["victim"]
    with pytest.raises(IntegrityError), transaction.atomic():
        update(victim, duplicate_of=victim.pk)


def test_incident_cannot_end_before_it_starts(one_of_everything):
    incident = one_of_everything["incident"]
    with pytest.raises(IntegrityError), transaction.atomic():
        update(incident, end_time=incident.start_time - timedelta(hours=1))


class CustodyAppendOnlyTests:
    def test_orm_refuses_to_change_or_delete_custody_events(self, case, intake_worker):
        event = custody_record(action="received", target=case, actor=intake_worker)
        for attempt in (
            lambda: CustodyEvent.objects.filter(pk=event.pk).update(action="viewed"),
            lambda: CustodyEvent.objects.all().delete(),
            event.save,
            event.delete,
        ):
            with pytest.raises(PermissionError):
                attempt()
        assert CustodyEvent.objects.get(pk=event.pk).action == "received"

    def test_database_rejects_a_bad_action_or_hash(self, case, intake_worker):
        event = custody_record(action="received", target=case, actor=intake_worker)
        values = {field.attname: getattr(event, field.attname) for field in CustodyEvent._meta.concrete_fields}
        values.pop("id")
        for bad in ({"action": "teleported"}, {"event_hash": "x" * 64}, {"previous_hash": "short"}):
            row = CustodyEvent(**{**values, "sequence": event.sequence + 1, "event_hash": "b" * 64, **bad})
            with pytest.raises(IntegrityError), transaction.atomic():
                row.save()
        with pytest.raises(IntegrityError), transaction.atomic():
            CustodyEvent(**{**values, "sequence": event.sequence + 1}).save()  # the same hash twice
