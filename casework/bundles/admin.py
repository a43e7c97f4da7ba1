from django.contrib import admin

from casework.bundles.models import EvidenceBundle
from casework.cases.admin_scope import CaseScopedAdmin


@admin.register(EvidenceBundle)
class EvidenceBundleAdmin(CaseScopedAdmin, admin.ModelAdmin):
    list_display = [
        "pk",
        "case",
        "recipient",
        "profile",
        "scope",
        "status",
        "progress_percent",
        "requested_at",
    ]
    list_filter = ["status", "profile", "scope", "case"]
    search_fields = ["recipient", "manifest_sha256"]
    filter_horizontal = ["incidents"]
    readonly_fields = [
        "status",
        "progress_percent",
        "progress_message",
        "failure_reason",
        "requested_by",
        "requested_at",
        "started_at",
        "finished_at",
        "attempts",
        "archive",
        "size_bytes",
        "manifest_sha256",
        "expired_at",
        "names_witnesses",
        "witness_material",
    ]

    def has_add_permission(self, request):
        # Packets are requested on the case's packet page, which checks scope and schedules the build.
        return False
