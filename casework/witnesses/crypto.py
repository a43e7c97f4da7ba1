"""Field-level encryption for witness identities, on `cryptography`'s MultiFernet.

The first key in FIELD_ENCRYPTION_KEYS encrypts; every listed key decrypts, so a new key can be put
first while old rows are re-encrypted in the background (manage.py rotate_identity_keys).
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must name at least one Fernet key.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def identity_cipher() -> MultiFernet:
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(plaintext: str) -> str:
    return identity_cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return identity_cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        # Never include the token or any plaintext in the message: it may reach logs.
        raise ImproperlyConfigured("An encrypted field could not be decrypted with the configured keys.") from error


def reencrypt_token(token: str) -> str:
    return identity_cipher().rotate(token.encode("ascii")).decode("ascii")


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. It cannot be searched or ordered: only `isnull` lookups work."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)
