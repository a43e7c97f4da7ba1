from django.db import migrations

# On PostgreSQL the database itself refuses to change or delete custody history, whatever the ORM does.
# (TRUNCATE, used only by test teardown, is a table-level operation and not affected.)
CREATE = """
CREATE OR REPLACE FUNCTION casework_custody_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'custody events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER custody_append_only BEFORE UPDATE OR DELETE ON evidence_custodyevent
    FOR EACH ROW EXECUTE FUNCTION casework_custody_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS custody_append_only ON evidence_custodyevent;
DROP FUNCTION IF EXISTS casework_custody_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0002_initial")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
