"""PostgreSQL only: the tsvector column, the trigger that keeps it current, and the GIN indexes.

Outside the ORM's model state (the ORM never reads `vector`; selectors.py names it in raw SQL), so SQLite
migrates without them and falls back to substring matching. TrigramExtension itself does nothing on SQLite.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = [
    "ALTER TABLE search_searchentry ADD COLUMN vector tsvector",
    # Words as typed ('simple', which keeps Arabic words whole) and English stems, over the normalised text.
    """
    CREATE FUNCTION search_searchentry_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.vector := to_tsvector('simple'::regconfig, NEW.document) || to_tsvector('english'::regconfig, NEW.document);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER search_searchentry_vector BEFORE INSERT OR UPDATE OF document ON search_searchentry
    FOR EACH ROW EXECUTE FUNCTION search_searchentry_vector()
    """,
    "CREATE INDEX search_entry_vector_gin ON search_searchentry USING gin (vector)",
    # Victims' names only: trigram similarity over testimonies would be a very large index for no use.
    "CREATE INDEX search_entry_victim_name_trgm ON search_searchentry USING gin (document gin_trgm_ops) "
    "WHERE kind = 'victim'",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_victim_name_trgm",
    "DROP INDEX IF EXISTS search_entry_vector_gin",
    "DROP TRIGGER IF EXISTS search_searchentry_vector ON search_searchentry",
    "DROP FUNCTION IF EXISTS search_searchentry_vector()",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
