from django.contrib import admin

from casework.append_only import AppendOnlyAdmin
from casework.audit.models import AuditEvent
from casework.cases.admin_scope import CaseScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(CaseScopedAdmin, AppendOnlyAdmin):
    list_display = ["occurred_at", "actor_label", "action", "case", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "case"]
    search_fields = ["actor_label", "object_id", "reason"]
