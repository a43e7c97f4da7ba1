from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from casework.cases.admin_scope import CaseScopedAdmin
from casework.cases.versioning import AdminEditClaimsVersion
from casework.incidents import services
from casework.incidents.models import (
    Attribution,
    FacilityType,
    Governorate,
    Incident,
    IncidentType,
    Occupation,
    Party,
    Victim,
    WeaponType,
)


class VocabularyAdmin(CaseScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "name_ar", "code", "case", "is_active"]
    list_filter = ["is_active", ("case", admin.EmptyFieldListFilter)]
    search_fields = ["name", "name_ar", "code"]
    prepopulated_fields = {"code": ["name"]}


for vocabulary_model in (Governorate, IncidentType, WeaponType, FacilityType, Occupation, Party):
    admin.site.register(vocabulary_model, VocabularyAdmin)


class AttributionInline(admin.StackedInline):
    model = Attribution
    extra = 0


class VictimInline(admin.TabularInline):
    model = Victim
    extra = 0
    fields = ["name", "sex", "age", "age_band", "combatant_status", "status", "occupation"]


TOLL_FIELDS = ["civilians_killed", "children_killed", "adult_women_killed", "injured", "is_massacre"]


@admin.register(Incident)
class IncidentAdmin(CaseScopedAdmin, AdminEditClaimsVersion, SimpleHistoryAdmin):
    list_display = ["reference", "title", "case", "start_time", "governorate", "incident_type", *TOLL_FIELDS]
    list_filter = ["case", "governorate", "incident_type", "weapons", "facilities_hit", "date_precision"]
    search_fields = ["reference", "title", "description", "locality"]
    date_hierarchy = "start_time"
    filter_horizontal = ["weapons", "facilities_hit"]
    readonly_fields = [*TOLL_FIELDS, "tolls_computed_at", "created_by", "created_at", "updated_at"]
    inlines = [AttributionInline, VictimInline]
    list_select_related = ["case", "governorate", "incident_type"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.incident_schedule_toll_refresh(incident_id=form.instance.pk)


@admin.register(Attribution)
class AttributionAdmin(CaseScopedAdmin, SimpleHistoryAdmin):
    list_display = ["incident", "party", "confidence"]
    list_filter = ["confidence", "party"]
    search_fields = ["incident__reference", "basis"]
    autocomplete_fields = ["incident"]


@admin.register(Victim)
class VictimAdmin(CaseScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "incident",
        "sex",
        "age",
        "age_band",
        "combatant_status",
        "status",
        "occupation",
    ]
    list_filter = ["status", "sex", "age_band", "combatant_status", "occupation", "incident__case"]
    search_fields = ["name", "incident__reference"]
    autocomplete_fields = ["incident", "duplicate_of"]
    list_select_related = ["incident", "occupation"]

    def save_model(self, request, obj, form, change):
        previous_incident_id = form.initial.get("incident") if change else None
        super().save_model(request, obj, form, change)
        for incident_id in {obj.incident_id, previous_incident_id} - {None}:
            services.incident_schedule_toll_refresh(incident_id=incident_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.incident_schedule_toll_refresh(incident_id=obj.incident_id)

    def delete_queryset(self, request, queryset):
        incident_ids = set(queryset.values_list("incident_id", flat=True))
        super().delete_queryset(request, queryset)
        for incident_id in incident_ids:
            services.incident_schedule_toll_refresh(incident_id=incident_id)
