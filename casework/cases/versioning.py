"""Optimistic locking: an edit names the version it started from and is refused if someone saved since."""

from django.db.models import F, Model

from casework.errors import EditConflict


def version_claim(instance: Model, *, expected_version: int | None) -> None:
    """Within the caller's transaction, move `instance` from `expected_version` to the next, or raise
    EditConflict (also when no version is given: an edit must say which version it started from)."""
    model = type(instance)
    if expected_version is None:
        raise EditConflict()
    updated = model.objects.filter(pk=instance.pk, version=expected_version).update(version=F("version") + 1)
    if not updated:
        raise EditConflict()
    instance.version = expected_version + 1
