from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0011_number_existing_exhibits'),
    ]

    operations = [
        migrations.AlterField(
            model_name='mediaitem',
            name='exhibit_sequence',
            field=models.PositiveIntegerField(editable=False, verbose_name='exhibit sequence'),
        ),
        migrations.AddConstraint(
            model_name='mediaitem',
            constraint=models.UniqueConstraint(fields=('case', 'exhibit_sequence'), name='media_exhibit_sequence_unique_per_case', violation_error_message='Another item of the case already has this exhibit number.'),
        ),
        migrations.AddConstraint(
            model_name='mediaitem',
            constraint=models.UniqueConstraint(fields=('case', 'exhibit_number'), name='media_exhibit_number_unique_per_case', violation_error_message='Another item of the case already has this exhibit number.'),
        ),
    ]
