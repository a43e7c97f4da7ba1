from django.contrib import admin

from casework.cases.models import Case, CaseMembership


class CaseMembershipInline(admin.TabularInline):
    model = CaseMembership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["added_at"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "created_at"]
    search_fields = ["reference", "title"]
    readonly_fields = ["created_at"]
    inlines = [CaseMembershipInline]


@admin.register(CaseMembership)
class CaseMembershipAdmin(admin.ModelAdmin):
    list_display = ["case", "user", "role", "added_at"]
    list_filter = ["role", "case"]
    search_fields = ["user__username", "case__reference"]
    autocomplete_fields = ["case", "user"]
    readonly_fields = ["added_at"]
