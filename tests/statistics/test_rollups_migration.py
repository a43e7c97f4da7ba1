"""The migration that adds the monthly rollups counts them for the incidents already recorded, exactly as the
services recount them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.statistics.test_rollups_every_door import rollups_now, rollups_recounted

BEFORE = [("incidents", "0007_incident_rollups_for_statistics")]


def migrate(targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_rollups_of_the_incidents_already_recorded(vocabularies, tolls):
    expected = rollups_recounted()
    # A (March, Idlib), B (March, Aleppo), C (April, Idlib), D (June, Hama), and E of the other case.
    assert len(expected) == 5
    migrate(BEFORE)
    try:
        migrate()
        assert rollups_now() == expected
    finally:
        migrate()
