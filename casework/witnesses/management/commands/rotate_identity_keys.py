"""Re-encrypt every witness identity under the first key of FIELD_ENCRYPTION_KEYS.

Rotation without downtime: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it) and
restart; the app reads both. Then run this command; when it reports every row current, remove the old key.
Rows are updated one at a time in short transactions, so the app keeps working meanwhile.
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from casework.witnesses.crypto import reencrypt_token
from casework.witnesses.models import IDENTITY_FIELDS, Witness


class Command(BaseCommand):
    help = "Re-encrypt witness identities under the newest key (put it first in FIELD_ENCRYPTION_KEYS)."

    def handle(self, *args, **options):
        table = connection.ops.quote_name(Witness._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(field) for field in IDENTITY_FIELDS)
        rotated = 0
        for witness_id in Witness.objects.order_by("pk").values_list("pk", flat=True).iterator():
            with transaction.atomic(), connection.cursor() as cursor:
                # Raw tokens, not decrypted values: the plaintext never needs to exist for a rotation.
                lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
                cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s{lock}", [witness_id])
                row = cursor.fetchone()
                if row is None:
                    continue
                tokens = [reencrypt_token(token) if token else token for token in row]
                assignments = ", ".join(f"{connection.ops.quote_name(field)} = %s" for field in IDENTITY_FIELDS)
                cursor.execute(f"UPDATE {table} SET {assignments} WHERE id = %s", [*tokens, witness_id])
            rotated += 1
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted the identities of {rotated} witnesses under the newest key.")
        )
