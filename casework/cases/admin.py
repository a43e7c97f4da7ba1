from django.contrib import admin

from casework.admin_writes import WritesThroughServices
from casework.cases import services
from casework.cases.admin_scope import CaseScopedAdmin
from casework.cases.models import Case, CaseMembership, CaseRole


class CaseMembershipInline(admin.TabularInline):
    model = CaseMembership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["added_at"]


@admin.register(Case)
class CaseAdmin(CaseScopedAdmin, WritesThroughServices, admin.ModelAdmin):
    """A case is opened through `services.case_create` (with its first case admin) and its team changed through
    the membership services, which audit each change with the person making it; a refusal (the last case
    admin removed, someone twice on the team) is shown and nothing is written."""

    list_display = ["reference", "title", "created_at"]
    search_fields = ["reference", "title"]
    readonly_fields = ["created_at"]
    inlines = [CaseMembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # The reference prefixes the exhibit numbers given out: it never changes once the case exists.
        return [*super().get_readonly_fields(request, obj), *(["reference"] if obj is not None else [])]

    def write(self, request, form, formsets, change):
        team = next((formset for formset in formsets if formset.model is CaseMembership), None)
        if team is not None:
            team.save(commit=False)  # lists its new, changed and deleted rows; the services write them
        values = {name: form.cleaned_data[name] for name in ("title", "description") if name in form.cleaned_data}
        added = list(team.new_objects) if team is not None else []
        if change:
            case = services.case_update(case=form.instance, values=values, actor=request.user)
        else:
            # The first case admin is the team's first case admin row, or else the person opening the case.
            first_admin = next((row for row in added if row.role == CaseRole.CASE_ADMIN), None)
            case = services.case_create(
                reference=form.cleaned_data["reference"],
                admin=first_admin.user if first_admin is not None else request.user,
                actor=request.user,
                **values,
            )
            added = [row for row in added if row is not first_admin]
        if team is not None:
            self._write_team(request, case, team, added)
        return case

    def _write_team(self, request, case, team, added) -> None:
        for removed in team.deleted_objects:
            stored = CaseMembership.objects.select_related("user").get(pk=removed.pk)
            services.membership_remove(case=case, user=stored.user, actor=request.user)
        for changed, _fields in team.changed_objects:
            stored = CaseMembership.objects.select_related("user").get(pk=changed.pk)
            if stored.user_id != changed.user_id:
                # Another person in the row: the first leaves the team and the second joins it.
                services.membership_remove(case=case, user=stored.user, actor=request.user)
                services.membership_add(case=case, user=changed.user, role=changed.role, actor=request.user)
            else:
                services.membership_change_role(case=case, user=stored.user, role=changed.role, actor=request.user)
        for row in added:
            services.membership_add(case=case, user=row.user, role=row.role, actor=request.user)


@admin.register(CaseMembership)
class CaseMembershipAdmin(CaseScopedAdmin, WritesThroughServices, admin.ModelAdmin):
    list_display = ["case", "user", "role", "added_at"]
    list_filter = ["role", "case"]
    search_fields = ["user__username", "case__reference"]
    autocomplete_fields = ["case", "user"]
    readonly_fields = ["added_at"]

    def get_readonly_fields(self, request, obj=None):
        # A membership is one person on one case: changing either is a removal and an addition.
        return [*super().get_readonly_fields(request, obj), *(["case", "user"] if obj is not None else [])]

    def write(self, request, form, formsets, change):
        membership = form.instance
        if change:
            return services.membership_change_role(
                case=membership.case, user=membership.user, role=form.cleaned_data["role"], actor=request.user
            )
        return services.membership_add(
            case=form.cleaned_data["case"],
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            actor=request.user,
        )

    def delete(self, request, obj):
        services.membership_remove(case=obj.case, user=obj.user, actor=request.user)
