# The items already stored get their exhibit numbers in the order they were acquired, case by case.

from django.db import migrations

EXHIBIT_DIGITS = 6


def number_existing_items(apps, schema_editor):
    MediaItem = apps.get_model('evidence', 'MediaItem')
    Case = apps.get_model('cases', 'Case')
    for case in Case.objects.order_by('pk').iterator():
        items = MediaItem.objects.filter(case=case).order_by('acquired_at', 'pk').values_list('pk', flat=True)
        for sequence, item_id in enumerate(list(items), start=1):
            MediaItem.objects.filter(pk=item_id).update(
                exhibit_sequence=sequence, exhibit_number=f'{case.reference}-{sequence:0{EXHIBIT_DIGITS}d}'
            )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_plain_constraint_messages'),
        ('evidence', '0010_media_exhibit_number_fields'),
    ]

    operations = [
        migrations.RunPython(number_existing_items, migrations.RunPython.noop),
    ]
