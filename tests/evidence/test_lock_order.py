"""On PostgreSQL, intake and the views of originals never hold a lock that a custody write waits for while they
wait for the custody chain's lock themselves: such a pair would deadlock (seen with a worker writing custody
events while intakes of the same case took their exhibit numbers)."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection, transaction

from casework.audit.models import AuditEvent
from casework.evidence.custody import custody_record
from casework.evidence.models import MediaItem, next_exhibit_number
from casework.evidence.services import media_record_view
from tests.factories import MediaItemFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")


def stored_item(case, person) -> MediaItem:
    # A row only: an intake would also send the item to the session's worker, whose processing would still
    # hold row locks when the test's tables are truncated (a deadlock with the flush, seen on CI).
    return MediaItemFactory(case=case, acquired_by=person)


@contextmanager
def held_in_another_transaction(lock):
    """Runs `lock()` in a transaction of another connection and keeps that transaction open meanwhile."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                lock()
                holding.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(20), "the other transaction did not take its lock"
        yield
    finally:
        release.set()
        thread.join()


def without_waiting(write) -> None:
    """`write()` in a transaction that fails at once instead of waiting for a lock."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        write()


def test_an_intake_taking_a_number_never_blocks_custody_writes_about_the_case(case, intake_worker):
    # An intake holds its lock on the case until it commits and waits for the custody chain's lock meanwhile;
    # someone holding the chain's lock then inserts a custody event that refers to the case. If the first lock
    # kept the second writer waiting, neither would ever go on.
    item = stored_item(case, intake_worker)
    with held_in_another_transaction(lambda: next_exhibit_number(case)):
        without_waiting(lambda: custody_record(action="viewed", target=item, actor=intake_worker))


def test_recording_a_view_waits_for_no_lock_on_the_item(case, intake_worker):
    # Someone changing the item holds its row; a view is recorded under the custody chain's lock alone, so it
    # neither waits for them nor holds anything they could wait for.
    item = stored_item(case, intake_worker)
    with held_in_another_transaction(lambda: MediaItem.objects.select_for_update().get(pk=item.pk)):
        without_waiting(
            lambda: media_record_view(item=item, actor=intake_worker, unless_viewed_within=timedelta(minutes=10))
        )
    assert AuditEvent.objects.filter(action="original_viewed", object_id=str(item.pk)).count() == 1
