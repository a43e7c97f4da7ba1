"""Writers of different incidents of the same month and governorate at the same moment: each recounts the
month's rollup, and none may lose the other's victims (PostgreSQL: SQLite serialises writers, so the race
cannot happen there)."""

import threading
import time

import pytest
from django.db import connection

from casework.incidents import repair, services
from casework.incidents.models import Incident
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


def test_a_victim_write_during_a_rollups_rebuild_waits_for_it_and_is_counted(
    vocabularies, case, intake_worker, monkeypatch
):
    """The rebuild locks every incident of the case as a victim write does, those it has nothing to fix in too:
    a write that comes while it runs waits, then counts over the rebuilt figures, and neither loses the
    other's work."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    start = "2024-05-10T10:00:00Z"
    corrupted = IncidentFactory(case=case, reference="INC-CORRUPTED", start_time=start)
    Incident.objects.filter(pk=corrupted.pk).update(injured=4)  # behind the services: for the rebuild to fix
    incident = IncidentFactory(case=case, reference="INC-WRITTEN", start_time=start)
    tolls_locked, writer_seen_waiting = threading.Event(), threading.Event()
    real_rollups_repair = repair._rollups_repair

    def rollups_repair_once_the_writer_waits(incidents, references):
        tolls_locked.set()
        writer_seen_waiting.wait(timeout=30)
        return real_rollups_repair(incidents, references)

    monkeypatch.setattr(repair, "_rollups_repair", rollups_repair_once_the_writer_waits)
    errors, fixed = [], []

    def rebuild():
        try:
            fixed.extend(repair.rollups_repair(case_ids=[case.pk]).fixed)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            tolls_locked.set()
            connection.close()

    def write():
        try:
            tolls_locked.wait(timeout=30)
            services.victim_write(actor=intake_worker, incident=incident, values=KILLED_CHILD)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rebuild), threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    waited = False
    for _attempt in range(300):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = "
                "'Lock' AND query LIKE '%%FOR NO KEY UPDATE%%'"
            )
            if cursor.fetchone()[0]:
                waited = True
                break
        time.sleep(0.1)
    writer_seen_waiting.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert waited, "the victim write did not wait for the rebuild's lock on its incident"
    # (The second incident's factory recounted the month with the corrupted toll in it.)
    assert fixed == ["CW-0042 incident INC-CORRUPTED: injured 4 → 0", "CW-0042 rollup 2024-05 idlib: injured 4 → 0"]
    incident.refresh_from_db()
    assert (incident.civilians_killed, incident.children_killed, incident.injured) == (1, 1, 0)
    summary = statistics_summary(StatisticsFilter(case_ids=(case.pk,)))
    assert summary.totals["children_killed"].value == 1
    assert repair.rollups_repair(case_ids=[case.pk]).fixed == []
