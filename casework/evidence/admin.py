from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from casework.admin_writes import ReadOnlyAdmin
from casework.append_only import AppendOnlyAdmin
from casework.cases.admin_scope import CaseScopedAdmin
from casework.errors import Refused, add_refusal_to_form
from casework.evidence import services
from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem, MediaPerceptualHash, NearDuplicate

# What an administrator may change, always through services.media_update (a custody event with the actor).
EDITABLE_MEDIA_FIELDS = ["description", "is_graphic", "incidents", "witness", "testimony"]
# Everything else is shown read-only: the provenance (what the bytes are, where they came from, who received
# them when), what processing extracted, and the review, which the media page decides under its own rules.
READ_ONLY_MEDIA_FIELDS = [
    "case",
    "exhibit_number",
    "sha256",
    "size_bytes",
    "mime_type",
    "kind",
    "original",
    "source",
    "source_url",
    "acquired_by",
    "acquired_at",
    "processing_state",
    "processing_error",
    "processing_attempts",
    "processing_started_at",
    "processed_at",
    "metadata",
    "capture_time",
    "capture_time_zone_known",
    "latitude",
    "longitude",
    "device_make",
    "device_model",
    "width",
    "height",
    "duration_seconds",
    "container",
    "video_codec",
    "audio_codec",
    "frame_rate",
    "thumbnail",
    "keyframes",
    "perceptual_hashes",
    "text_extraction",
    "text_extraction_error",
    "extracted_text",
    "verification_status",
    "verified_by",
    "verified_at",
    "verification_notes",
    "created_at",
    "withdrawn_at",
    "withdrawn_by",
    "withdrawal_reason",
]
# Never in an admin page: the sender's file name and the people named in the file's metadata.
HIDDEN_MEDIA_FIELDS = ["original_filename", "identifying_metadata"]


class MediaItemAdminForm(forms.ModelForm):
    class Meta:
        model = MediaItem
        fields = EDITABLE_MEDIA_FIELDS

    def clean(self):
        cleaned = super().clean()
        links = {name: cleaned[name] for name in ("incidents", "witness", "testimony") if name in cleaned}
        try:
            services.media_check_links(item=self.instance, **links)
        except Refused as refusal:
            add_refusal_to_form(self, refusal)
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the withdrawal"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(MediaItem)
class MediaItemAdmin(CaseScopedAdmin, SimpleHistoryAdmin):
    form = MediaItemAdminForm
    list_display = [
        "exhibit_number",
        "case",
        "kind",
        "mime_type",
        "size_bytes",
        "source",
        "acquired_at",
        "capture_time",
        "processing_state",
        "verification_status",
        "is_graphic",
        "withdrawn_at",
    ]
    list_filter = ["case", "kind", "source", "processing_state", "verification_status", "is_graphic"]
    # Not the file name: it is encrypted, and searching it would need it in clear.
    search_fields = ["exhibit_number", "sha256", "description", "device_model"]
    date_hierarchy = "acquired_at"
    fields = [*READ_ONLY_MEDIA_FIELDS[:1], *EDITABLE_MEDIA_FIELDS, *READ_ONLY_MEDIA_FIELDS[1:]]
    readonly_fields = READ_ONLY_MEDIA_FIELDS
    exclude = HIDDEN_MEDIA_FIELDS
    autocomplete_fields = ["incidents", "testimony", "witness"]
    list_select_related = ["case"]
    actions = ["withdraw_selected"]

    # Files enter only through intake, which hashes them and writes custody; evidence is never deleted.
    admin_writes = frozenset({"change"})

    def has_add_permission(self, request):
        # Files enter only through intake, which hashes them and writes custody.
        return False

    def has_delete_permission(self, request, obj=None):
        # Evidence is never deleted (a case admin withdraws it), so neither this page nor the bulk action can.
        return False

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting to an old version would write the row around media_update and its custody event.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        # The row is written by media_update in save_related, with the incidents, as one custody event.
        pass

    def save_related(self, request, form, formsets, change):
        stored = MediaItem.objects.select_related("case").get(pk=form.instance.pk)
        try:
            services.media_update(
                item=stored, actor=request.user, **{name: form.cleaned_data[name] for name in EDITABLE_MEDIA_FIELDS}
            )
        except Refused as refusal:  # a race past the form's own check
            self.message_user(request, refusal.message, messages.ERROR)

    @admin.action(description=_("Withdraw the selected media items from use"))
    def withdraw_selected(self, request, queryset):
        form = WithdrawForm(request.POST if "reason" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _("Withdraw media items"),
                "opts": self.model._meta,
                "items": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/evidence/mediaitem/withdraw_selected.html", context)
        for item in queryset.select_related("case"):
            try:
                services.media_withdraw(item=item, actor=request.user, reason=form.cleaned_data["reason"])
            except (Refused, PermissionDenied) as refusal:
                self.message_user(request, f"{item}: {refusal}", messages.ERROR)
            else:
                self.message_user(request, _("%(item)s withdrawn.") % {"item": item}, messages.SUCCESS)
        return None


@admin.register(MediaArrival)
class MediaArrivalAdmin(CaseScopedAdmin, AppendOnlyAdmin):
    list_display = ["item", "source", "acquired_at", "acquired_by"]
    list_filter = ["source", "item__case"]
    search_fields = ["item__sha256"]
    exclude = ["original_filename"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.exclude]


@admin.register(CustodyEvent)
class CustodyEventAdmin(CaseScopedAdmin, AppendOnlyAdmin):
    list_display = ["sequence", "occurred_at", "actor_label", "action", "object_type", "object_id", "case"]
    list_filter = ["action", "object_type", "case"]
    search_fields = ["object_id", "actor_label", "event_hash"]


@admin.register(MediaPerceptualHash)
class MediaPerceptualHashAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """The near-duplicate search's index of perceptual hashes: written with each item's hashes, read here."""

    list_display = ["item", "__str__", "case"]
    list_filter = ["case"]
    search_fields = ["item__exhibit_number"]
    list_select_related = ["item", "case"]


@admin.register(NearDuplicate)
class NearDuplicateAdmin(CaseScopedAdmin, admin.ModelAdmin):
    list_display = ["first", "second", "distance", "status", "case", "found_at"]
    list_filter = ["status", "case"]
    search_fields = ["first__sha256", "second__sha256"]
    readonly_fields = ["case", "first", "second", "distance", "found_at", "reviewed_by", "reviewed_at"]

    def has_add_permission(self, request):
        return False
