from django.db import migrations

from casework.incidents.vocabularies import SEEDS, vocabularies_seed



def seed(apps, schema_editor):
    vocabularies_seed(apps=apps)


def unseed(apps, schema_editor):
    for model_name, rows in SEEDS.items():
        apps.get_model("incidents", model_name).objects.filter(
            case=None, code__in=[code for code, _, _ in rows]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
