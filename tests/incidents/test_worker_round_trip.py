"""A real Celery worker process picks up a task sent after commit and writes its result to the database."""

import pytest
from django.db import transaction

from casework.incidents.models import Incident
from casework.incidents.services import incident_schedule_toll_refresh
from tests.conftest import wait_for
from tests.factories import CaseFactory, IncidentFactory, VictimFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_computes_incident_tolls_after_commit(celery_worker_process, vocabularies):
    case = CaseFactory(reference="CW-0500")
    with transaction.atomic():
        incident = IncidentFactory(case=case)
        VictimFactory.create_batch(4, incident=incident, sex="female", age=30, age_band="adult")
        VictimFactory(incident=incident, sex="male", age=8, age_band="child")
        VictimFactory(incident=incident, status="injured")
        incident_schedule_toll_refresh(incident_id=incident.pk)

    def computed():
        row = Incident.objects.get(pk=incident.pk)
        return row if row.tolls_computed_at is not None else None

    row = wait_for(computed, timeout=60, what="the worker to compute the tolls")
    assert (row.civilians_killed, row.children_killed, row.adult_women_killed, row.injured) == (5, 1, 4, 1)
    assert row.is_massacre is True
    assert b"incident_refresh_tolls_task" in celery_worker_process.log_path.read_bytes()
