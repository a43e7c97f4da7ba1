from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from casework.append_only import AppendOnlyAdmin
from casework.cases.admin_scope import CaseScopedAdmin
from casework.evidence.models import CustodyEvent, MediaItem, NearDuplicate

DERIVED_MEDIA_FIELDS = [
    "sha256",
    "size_bytes",
    "mime_type",
    "kind",
    "original",
    "original_filename",
    "processing_state",
    "processing_error",
    "processing_attempts",
    "processing_started_at",
    "processed_at",
    "metadata",
    "capture_time",
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
    # Review decisions are made on the media page, which applies the two-person rule and writes custody.
    "verification_status",
    "verified_by",
    "verified_at",
    "verification_notes",
    "created_at",
]


@admin.register(MediaItem)
class MediaItemAdmin(CaseScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
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
    ]
    list_filter = ["case", "kind", "source", "processing_state", "verification_status", "is_graphic"]
    search_fields = ["sha256", "original_filename", "description", "device_model"]
    date_hierarchy = "acquired_at"
    readonly_fields = DERIVED_MEDIA_FIELDS
    autocomplete_fields = ["incidents", "testimony"]
    list_select_related = ["case"]

    def has_add_permission(self, request):
        # Files enter only through intake, which hashes them and writes custody.
        return False


@admin.register(CustodyEvent)
class CustodyEventAdmin(CaseScopedAdmin, AppendOnlyAdmin):
    list_display = ["sequence", "occurred_at", "actor_label", "action", "object_type", "object_id", "case"]
    list_filter = ["action", "object_type", "case"]
    search_fields = ["object_id", "actor_label", "event_hash"]


@admin.register(NearDuplicate)
class NearDuplicateAdmin(CaseScopedAdmin, admin.ModelAdmin):
    list_display = ["first", "second", "distance", "status", "case", "found_at"]
    list_filter = ["status", "case"]
    search_fields = ["first__sha256", "second__sha256"]
    readonly_fields = ["case", "first", "second", "distance", "found_at", "reviewed_by", "reviewed_at"]

    def has_add_permission(self, request):
        return False
