"""Optimistic locking: an edit names the version it started from and is refused if someone saved since."""

from django.db.models import F, Model

from casework.errors import EditConflict


def version_claim(instance: Model, *, expected_version: int) -> None:
    """Within the caller's transaction, move `instance` from `expected_version` to the next, or raise."""
    model = type(instance)
    updated = model.objects.filter(pk=instance.pk, version=expected_version).update(version=F("version") + 1)
    if not updated:
        raise EditConflict()
    instance.version = expected_version + 1


class AdminEditClaimsVersion:
    """For a ModelAdmin: an edit in the admin is an edit like any other, so a staff form opened before it is
    refused instead of overwriting it. A new record is created by the person signed in."""

    def save_model(self, request, obj, form, change):
        if change:
            version_claim(obj, expected_version=obj.version)
        elif getattr(obj, "created_by_id", False) is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
