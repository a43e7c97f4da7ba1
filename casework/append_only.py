"""Append-only records (custody events, audit events): rows are written once and never changed or deleted."""

from django.contrib import admin
from django.db import models

from casework.admin_writes import ReadOnlyAdmin


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are append-only.")

    def delete(self):
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{self._meta.verbose_name_plural} are append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.verbose_name_plural} are append-only.")


class AppendOnlyAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Readable in the admin, never added, changed or deleted there."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
