"""The custody log is append-only and hash-chained: any edit or deletion is detected and located."""

import pytest
from django.db import DatabaseError, connection, transaction

from casework.evidence.custody import GENESIS_HASH, custody_chain_breaks, custody_head_hash, custody_record
from casework.evidence.models import CustodyEvent
from tests.evidence.tampering import raw_sql
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_events(case, intake_worker):
    incident = IncidentFactory(case=case)
    return [
        custody_record(action="received", target=incident, actor=intake_worker, details={"n": n, "نص": "عربي"})
        for n in range(3)
    ]


def test_each_event_links_to_the_one_before(three_events):
    first, second, third = three_events
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.event_hash
    assert third.previous_hash == second.event_hash
    assert custody_head_hash() == third.event_hash
    assert custody_chain_breaks() == []


def test_edited_event_is_detected_and_named(three_events):
    edited = three_events[1]
    raw_sql("UPDATE evidence_custodyevent SET details = %s WHERE id = %s", ['{"n": 99}', edited.pk])
    breaks = custody_chain_breaks()
    assert [(b.sequence, b.problem) for b in breaks] == [
        (edited.sequence, "was edited after it was written (hash mismatch)")
    ]
    assert f"{edited.object_type}:{edited.object_id}" in str(breaks[0])


def test_deleted_event_is_detected(three_events):
    deleted = three_events[1]
    raw_sql("DELETE FROM evidence_custodyevent WHERE id = %s", [deleted.pk])
    problems = [(b.sequence, b.problem) for b in custody_chain_breaks()]
    assert (
        three_events[2].sequence,
        f"events #{deleted.sequence} to #{deleted.sequence} are missing (deleted)",
    ) in problems
    assert (three_events[2].sequence, "does not link to the event before it") in problems


def test_deleting_the_newest_event_is_detected_against_a_remembered_head(three_events):
    # Truncating the tail leaves a consistent chain; recipients catch it by the head hash they were given.
    head_given_to_recipient = custody_head_hash()
    raw_sql("DELETE FROM evidence_custodyevent WHERE id = %s", [three_events[2].pk])
    assert custody_chain_breaks() == []
    assert custody_head_hash() != head_given_to_recipient


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_itself_refuses_to_update_or_delete_custody_events(three_events):
    for statement in (
        "UPDATE evidence_custodyevent SET action = 'viewed'",
        "DELETE FROM evidence_custodyevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert CustodyEvent.objects.count() == 3
