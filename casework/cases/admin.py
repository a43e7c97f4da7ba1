from django.contrib import admin

from casework.cases import services
from casework.cases.admin_scope import CaseScopedAdmin
from casework.cases.models import Case, CaseMembership


class CaseMembershipInline(admin.TabularInline):
    model = CaseMembership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["added_at"]


@admin.register(Case)
class CaseAdmin(CaseScopedAdmin, admin.ModelAdmin):
    list_display = ["reference", "title", "created_at"]
    search_fields = ["reference", "title"]
    readonly_fields = ["created_at"]
    inlines = [CaseMembershipInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not CaseMembership:
            return super().save_formset(request, form, formset, change)
        # Team changes go through the services, which audit them with the person making them.
        case = form.instance
        formset.save(commit=False)
        for removed in formset.deleted_objects:
            stored = CaseMembership.objects.select_related("user").get(pk=removed.pk)
            services.membership_remove(case=case, user=stored.user, actor=request.user)
        for changed, _fields in formset.changed_objects:
            stored = CaseMembership.objects.select_related("user").get(pk=changed.pk)
            if stored.user_id != changed.user_id:
                # Another person in the row: the first leaves the team and the second joins it.
                services.membership_remove(case=case, user=stored.user, actor=request.user)
                services.membership_add(case=case, user=changed.user, role=changed.role, actor=request.user)
            else:
                services.membership_change_role(case=case, user=stored.user, role=changed.role, actor=request.user)
        for added in formset.new_objects:
            services.membership_add(case=case, user=added.user, role=added.role, actor=request.user)


@admin.register(CaseMembership)
class CaseMembershipAdmin(CaseScopedAdmin, admin.ModelAdmin):
    list_display = ["case", "user", "role", "added_at"]
    list_filter = ["role", "case"]
    search_fields = ["user__username", "case__reference"]
    autocomplete_fields = ["case", "user"]
    readonly_fields = ["added_at"]

    def get_readonly_fields(self, request, obj=None):
        # A membership is one person on one case: changing either is a removal and an addition.
        return [*super().get_readonly_fields(request, obj), *(["case", "user"] if obj is not None else [])]

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.membership_change_role(case=obj.case, user=obj.user, role=obj.role, actor=request.user)
        else:
            saved = services.membership_add(case=obj.case, user=obj.user, role=obj.role, actor=request.user)
        # The admin logs and redirects with the object it holds.
        obj.pk, obj.added_at = saved.pk, saved.added_at

    def delete_model(self, request, obj):
        services.membership_remove(case=obj.case, user=obj.user, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("case", "user"):
            services.membership_remove(case=membership.case, user=membership.user, actor=request.user)
