"""Witness identities are encrypted at rest and can be moved to a new key without downtime."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from casework.witnesses.crypto import _multi_fernet
from casework.witnesses.models import Witness
from tests.factories import WitnessFactory

pytestmark = pytest.mark.django_db


def raw_identity(witness_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT real_name, phone FROM witnesses_witness WHERE id = %s", [witness_id])
        return cursor.fetchone()


def test_identity_is_not_stored_in_plain_text(case):
    witness = WitnessFactory(case=case, real_name="Amal Plaintext-Check", phone="+963 944 000 111")
    real_name_column, phone_column = raw_identity(witness.pk)
    assert "Amal" not in real_name_column and "944" not in phone_column
    assert Witness.objects.get(pk=witness.pk).real_name == "Amal Plaintext-Check"


def test_identity_cannot_be_searched(case):
    WitnessFactory(case=case, real_name="Amal Search-Check")
    with pytest.raises(FieldError, match="Unsupported lookup"):
        Witness.objects.filter(real_name__icontains="Amal").count()


def test_rotation_moves_every_identity_to_the_new_key_and_old_key_can_be_dropped(case, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    witness = WitnessFactory(case=case, real_name="Amal Rotation-Check", phone="+963 955 000 222")
    before = raw_identity(witness.pk)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]  # the app reads both while rotating
    _multi_fernet.cache_clear()
    assert Witness.objects.get(pk=witness.pk).real_name == "Amal Rotation-Check"
    out = io.StringIO()
    call_command("rotate_identity_keys", stdout=out)
    assert "1 witnesses" in out.getvalue()
    after = raw_identity(witness.pk)
    assert after != before
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    _multi_fernet.cache_clear()
    rotated = Witness.objects.get(pk=witness.pk)
    assert (rotated.real_name, rotated.phone) == ("Amal Rotation-Check", "+963 955 000 222")
    Fernet(new_key.encode()).decrypt(after[0].encode())
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(after[0].encode())
    _multi_fernet.cache_clear()
