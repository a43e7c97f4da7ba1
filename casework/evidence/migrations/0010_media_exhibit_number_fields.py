# Exhibit numbers, in three steps: the columns (empty for now), the numbers of the items already stored
# (0011), then the columns required and unique per case (0012). Separate migrations, so that PostgreSQL never
# alters a table in the transaction that rewrote its rows.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0009_plain_constraint_messages'),
    ]

    operations = [
        migrations.AddField(
            model_name='mediaitem',
            name='exhibit_sequence',
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name='exhibit sequence'),
        ),
        migrations.AddField(
            model_name='mediaitem',
            name='exhibit_number',
            field=models.CharField(default='', editable=False, max_length=40, verbose_name='exhibit number'),
            preserve_default=False,
        ),
    ]
