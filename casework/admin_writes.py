"""The admin is a door like any other: its saves and deletions go through the apps' services."""

from django.contrib import messages
from django.http import HttpResponseRedirect

from casework.errors import Refused

ALL_WRITES = frozenset({"add", "change", "delete"})


class ReadOnlyAdmin:
    """For a ModelAdmin: readable here, never added, changed or deleted here (written by its own service, or
    with the record it belongs to)."""

    # What this admin can write at all, whoever asks; the case scoping (cases.admin_scope) never allows more.
    admin_writes = frozenset()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WritesThroughServices:
    """For a ModelAdmin: `write(request, form, formsets, change)` saves the record, its many-to-many fields
    and inlines through the app's service and returns it; `delete(request, obj)` deletes through it (absent:
    nothing can be deleted here). A service's refusal is shown as an error and nothing is written.
    """

    def write(self, request, form, formsets, change):
        raise NotImplementedError

    delete = None

    @property
    def admin_writes(self) -> frozenset[str]:
        return frozenset({"add", "change", "delete"} if self.delete is not None else {"add", "change"})

    def save_model(self, request, obj, form, change):
        pass  # written with the many-to-many fields and the inlines, in save_related

    def save_related(self, request, form, formsets, change):
        saved = self.write(request, form, formsets, change)
        if saved is not None and saved is not form.instance:
            form.instance.pk = saved.pk
        for formset in formsets:
            # The service wrote the inline rows; the admin's change message reads what formset.save() records.
            formset.new_objects = [row.instance for row in formset.forms if row.has_changed() and not row.instance.pk]
            formset.changed_objects, formset.deleted_objects = [], []

    def has_delete_permission(self, request, obj=None):
        return self.delete is not None and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        self.delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete(request, obj)
            except Refused as refusal:
                self.message_user(request, f"{obj}: {refusal}", messages.ERROR)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
