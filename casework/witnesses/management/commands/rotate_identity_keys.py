"""Re-encrypt every encrypted column under the first key of FIELD_ENCRYPTION_KEYS.

That is witness identities, and everything else stored with the same cipher: the original file names of media
items and of their arrivals, and the identifying metadata of media items (every EncryptedTextField of every
model, found by looking, so a new encrypted column cannot be forgotten).

Rotation without downtime: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it) and
restart; the app reads both. Then run this command; when it reports every row current, remove the old key.
Rows are updated one at a time in short transactions, so the app keeps working meanwhile.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from casework.witnesses.crypto import EncryptedTextField, reencrypt_token
from casework.witnesses.models import Witness


def encrypted_columns() -> list[tuple[type, list[str]]]:
    """(model, its encrypted column names) for every model with one, witnesses first."""
    found = []
    for model in apps.get_models():
        columns = [field.column for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]
        if columns:
            found.append((model, columns))
    return sorted(found, key=lambda entry: (entry[0] is not Witness, entry[0]._meta.label))


def rotate_model(model, columns: list[str]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    primary_key = connection.ops.quote_name(model._meta.pk.column)
    selected = ", ".join(connection.ops.quote_name(column) for column in columns)
    assignments = ", ".join(f"{connection.ops.quote_name(column)} = %s" for column in columns)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    rotated = 0
    for row_id in model._base_manager.order_by("pk").values_list("pk", flat=True).iterator():
        with transaction.atomic(), connection.cursor() as cursor:
            # Raw tokens, not decrypted values: the plaintext never needs to exist for a rotation.
            cursor.execute(f"SELECT {selected} FROM {table} WHERE {primary_key} = %s{lock}", [row_id])
            row = cursor.fetchone()
            if row is None:
                continue
            tokens = [reencrypt_token(token) if token else token for token in row]
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {primary_key} = %s", [*tokens, row_id])
        rotated += 1
    return rotated


class Command(BaseCommand):
    help = (
        "Re-encrypt witness identities, media file names and identifying metadata under the newest key "
        "(put it first in FIELD_ENCRYPTION_KEYS)."
    )

    def handle(self, *args, **options):
        for model, columns in encrypted_columns():
            rotated = rotate_model(model, columns)
            if model is Witness:
                message = f"Re-encrypted the identities of {rotated} witnesses under the newest key."
            else:
                message = (
                    f"Re-encrypted {', '.join(columns)} of {rotated} rows of {model._meta.label} under the newest key."
                )
            self.stdout.write(self.style.SUCCESS(message))
