"""Writers of different incidents of the same month and governorate at the same moment: each recounts the
month's rollup, and none may lose the other's victims (PostgreSQL: SQLite serialises writers, so the race
cannot happen there)."""

import threading

import pytest
from django.db import connection

from casework.incidents import services
from casework.statistics.selectors import StatisticsFilter, records_behind, statistics_summary
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

KILLED_CHILD = {"sex": "male", "age": 9, "age_band": "child", "combatant_status": "civilian", "status": "killed"}
WRITERS = 4


def test_concurrent_victims_of_one_month_all_count(vocabularies, case, intake_worker, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    start = "2024-05-10T10:00:00Z"
    incidents = [IncidentFactory(case=case, reference=f"INC-RACE-{n}", start_time=start) for n in range(WRITERS)]
    all_counted = threading.Barrier(WRITERS, timeout=10)
    real_recount = services.rollups_recount

    def recount_together(*, keys):
        # Every writer has written its victim and its incident's tolls, none has committed: all recount now.
        all_counted.wait()
        return real_recount(keys=keys)

    monkeypatch.setattr(services, "rollups_recount", recount_together)
    errors = []

    def write(incident):
        try:
            services.victim_write(actor=intake_worker, incident=incident, values=KILLED_CHILD)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(incident,)) for incident in incidents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    filters = StatisticsFilter(case_ids=(case.pk,))
    summary = statistics_summary(filters)
    assert summary.totals["children_killed"].value == WRITERS
    assert records_behind("children_killed", filters).count() == WRITERS
    assert [row.figures["children_killed"].value for row in summary.monthly] == [WRITERS]
