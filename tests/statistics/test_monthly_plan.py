"""On PostgreSQL, the monthly totals stay fast on tables that were never analysed (right after a bulk import,
with autovacuum off): the plan reads each victim about once, instead of grouping all of them again for each
incident (seconds for 1,590 incidents). Measured by EXPLAIN's own row counts, not by the clock."""

import json
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.statistics.selectors import StatisticsFilter
from casework.statistics.selectors.summary import _incident_totals_by_month_and_governorate

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql" and os.environ.get("CI") != "true",
        reason="PostgreSQL's planner; CI runs on PostgreSQL, local runs on SQLite need not",
    ),
]

INCIDENTS = 1_500  # most in the case counted, like 1,590 of 2,000
VICTIMS = 60_000


def fresh_unanalysed_tables(cursor) -> None:
    """Empty copies of the incident and victim tables, never analysed, in a schema searched first (all of it
    undone with the test's transaction), filled as a bulk import would."""
    cursor.execute("CREATE SCHEMA monthly_plan")
    for table in ("incidents_incident", "incidents_victim"):
        cursor.execute(f"CREATE TABLE monthly_plan.{table} (LIKE public.{table} INCLUDING ALL)")
        cursor.execute(f"ALTER TABLE monthly_plan.{table} SET (autovacuum_enabled = false)")
    cursor.execute("SET LOCAL search_path = monthly_plan, public")
    cursor.execute(
        """
        INSERT INTO incidents_incident (id, case_id, reference, title, description, start_time, date_precision,
            governorate_id, district, locality, incident_type_id, created_at, updated_at, version,
            civilians_killed, children_killed, adult_women_killed, injured, civilians_injured, is_massacre)
        SELECT n, CASE WHEN n %% 5 = 0 THEN 2 ELSE 1 END, 'INC-' || n, 'Strike', '',
            timestamptz '2022-01-01' + (n * 17 %% 1000) * interval '1 day', 'exact', 1, '', '', 1, now(), now(), 1,
            0, 0, 0, 0, 0, false
        FROM generate_series(1, %s) AS n
        """,
        [INCIDENTS],
    )
    cursor.execute(
        """
        INSERT INTO incidents_victim (id, incident_id, name, sex, age, age_band, combatant_status, status, notes)
        SELECT n, 1 + (n * 7919) %% %s, '', CASE WHEN n %% 2 = 0 THEN 'female' ELSE 'male' END, n %% 80,
            CASE WHEN n %% 80 < 18 THEN 'child' ELSE 'adult' END, CASE WHEN n %% 9 = 0 THEN 'non_civilian'
            ELSE 'civilian' END, (ARRAY['killed', 'injured', 'missing'])[1 + n %% 3], ''
        FROM generate_series(1, %s) AS n
        """,
        [INCIDENTS, VICTIMS],
    )
    cursor.execute(
        "SELECT count(*) FROM pg_stats WHERE schemaname = 'monthly_plan' AND tablename IN "
        "('incidents_incident', 'incidents_victim')"
    )
    assert cursor.fetchone()[0] == 0, "the copies must have no planner statistics"


def row_visits(plan: dict) -> int:
    """Rows every node of the plan produced, times the loops it ran: the work done, measured by EXPLAIN."""
    own = plan["Actual Rows"] * plan["Actual Loops"]
    return own + sum(row_visits(child) for child in plan.get("Plans", ()))


def outline(plan: dict, depth: int = 0) -> str:
    """The plan as EXPLAIN prints it, one node a line, with its rows and loops."""
    relation = f" on {plan['Relation Name']}" if "Relation Name" in plan else ""
    line = f"{'  ' * depth}{plan['Node Type']}{relation}: rows {plan['Actual Rows']} x loops {plan['Actual Loops']}"
    return "\n".join([line, *(outline(child, depth + 1) for child in plan.get("Plans", ()))])


def victim_scans(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == "incidents_victim" else []
    for child in plan.get("Plans", ()):
        found += victim_scans(child)
    return found


def test_monthly_totals_read_each_victim_about_once_on_tables_never_analysed(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        fresh_unanalysed_tables(cursor)
    filters = StatisticsFilter(case_ids=(1,), massacre_min=5)
    with CaptureQueriesContext(connection) as captured:
        # The path of the filters the monthly rollups cannot answer (and of rows bulk-written without them).
        months = _incident_totals_by_month_and_governorate(filters, {})[0]
    assert sum(month.incidents for month in months.values()) == INCIDENTS * 4 // 5
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
        explained = cursor.fetchone()[0]
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]

    # Reading the victims of the counted incidents once, joining and grouping them: a few times the rows.
    # Grouping every victim again for each incident (the nested loop of the old query) is hundreds of times.
    assert row_visits(plan) < 10 * (INCIDENTS + VICTIMS), outline(plan)
    for scan in victim_scans(plan):
        assert scan["Actual Rows"] * scan["Actual Loops"] <= VICTIMS, outline(plan)
    # It adds up the tolls kept on the incidents: the victims are not read at all.
    assert not victim_scans(plan), outline(plan)
