from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from casework.admin_writes import ReadOnlyAdmin, WritesThroughServices
from casework.cases.admin_scope import CaseScopedAdmin
from casework.incidents import services
from casework.incidents.forms import attribution_rows, victim_changes
from casework.incidents.models import (
    Attribution,
    FacilityType,
    Governorate,
    Incident,
    IncidentMonthRollup,
    IncidentOccupationToll,
    IncidentType,
    LinkCandidate,
    LinkDecision,
    Occupation,
    Party,
    RollupFacility,
    RollupOccupation,
    RollupWeapon,
    SpreadsheetImport,
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


TOLL_FIELDS = [
    "civilians_killed", "children_killed", "adult_women_killed", "injured", "civilians_injured", "is_massacre"
]  # fmt: skip


@admin.register(Incident)
class IncidentAdmin(CaseScopedAdmin, WritesThroughServices, SimpleHistoryAdmin):
    list_display = ["reference", "title", "case", "start_time", "governorate", "incident_type", *TOLL_FIELDS]
    list_filter = ["case", "governorate", "incident_type", "weapons", "facilities_hit", "date_precision"]
    search_fields = ["reference", "title", "description", "locality"]
    date_hierarchy = "start_time"
    filter_horizontal = ["weapons", "facilities_hit"]
    readonly_fields = [*TOLL_FIELDS, "tolls_computed_at", "created_by", "created_at", "updated_at"]
    inlines = [AttributionInline, VictimInline]
    list_select_related = ["case", "governorate", "incident_type"]

    def write(self, request, form, formsets, change):
        incident = form.instance
        values = {name: form.cleaned_data[name] for name in form.cleaned_data if name in services.INCIDENT_FIELDS}
        values |= {name: form.cleaned_data[name] for name in services.INCIDENT_TERMS if name in form.cleaned_data}
        by_model = {formset.model: formset for formset in formsets}
        return services.incident_write(
            case=form.cleaned_data.get("case") or incident.case,
            actor=request.user,
            incident=incident,
            values=values,
            # An admin edit is an edit like any other: a staff form opened before it is refused afterwards.
            expected_version=incident.version if change else None,
            attributions=attribution_rows(by_model[Attribution]) if Attribution in by_model else None,
            victims=victim_changes(by_model[Victim]) if Victim in by_model else (),
        )

    def get_readonly_fields(self, request, obj=None):
        # An incident never moves to another case.
        return [*self.readonly_fields, "case"] if obj is not None else self.readonly_fields


@admin.register(Attribution)
class AttributionAdmin(CaseScopedAdmin, ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read here; attributions are edited with their incident (one write path)."""

    list_display = ["incident", "party", "confidence"]
    list_filter = ["confidence", "party"]
    search_fields = ["incident__reference", "basis"]


class VictimAdminForm(forms.ModelForm):
    confirm_join = forms.BooleanField(
        required=False,
        label=_("Join them all the same (records in this cluster were marked as different people)"),  # the page's
    )

    class Meta:
        model = Victim
        fields = ["duplicate_of"]  # the admin names the rest (VictimAdmin.fields)


@admin.register(Victim)
class VictimAdmin(CaseScopedAdmin, WritesThroughServices, SimpleHistoryAdmin):
    form = VictimAdminForm
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
    fields = ["incident", *services.VICTIM_FIELDS, "duplicate_of", "confirm_join"]

    def get_fields(self, request, obj=None):
        # A new record has no duplicate link to confirm (the link is set on an existing record).
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [name for name in fields if name != "confirm_join"]

    def get_readonly_fields(self, request, obj=None):
        # A victim stays with its incident; a duplicate link is a reviewer's decision on an existing record.
        extra = ["incident"] if obj is not None else ["duplicate_of"]
        return [*super().get_readonly_fields(request, obj), *extra]

    def write(self, request, form, formsets, change):
        values = {name: form.cleaned_data[name] for name in services.VICTIM_FIELDS if name in form.cleaned_data}
        if not change:
            return services.victim_write(
                actor=request.user, values=values, victim=form.instance, incident=form.cleaned_data["incident"]
            )
        victim = form.instance
        if "duplicate_of" in form.changed_data:
            # Recorded as a record-linkage decision, as on the linkage review page and in the API: "same person
            # as" joins the two records' clusters (records of one case; refused over a "different people"
            # decision unless confirmed), an emptied field withdraws every "same person" decision on this record,
            # and the link is then rewritten from the clusters. The form has already put the new link on the
            # instance: it gets the stored one back.
            same_as = form.cleaned_data["duplicate_of"]
            victim.duplicate_of_id = form.initial.get("duplicate_of")
            services.victim_mark_duplicate(
                victim=victim, same_as=same_as, actor=request.user, confirm=form.cleaned_data.get("confirm_join", False)
            )
        return services.victim_write(actor=request.user, values=values, victim=victim)

    def delete(self, request, obj):
        services.victim_delete(victim=obj, actor=request.user)


@admin.register(IncidentOccupationToll)
class IncidentOccupationTollAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Civilians killed by occupation per incident: derived from the victims with every victim change, read here."""

    list_display = ["incident", "occupation", "killed", "adult_women_killed", "girls_killed"]
    list_filter = ["occupation", "incident__case"]
    search_fields = ["incident__reference"]
    list_select_related = ["incident", "occupation"]


@admin.register(IncidentMonthRollup)
class IncidentMonthRollupAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Incidents and tolls of a case by month and governorate: recounted with every incident and victim write
    for the statistics, read here."""

    list_display = ["case", "month", "governorate", "incidents", "massacres", "civilians_killed", "injured"]
    list_filter = ["case", "governorate"]
    search_fields = ["case__reference"]
    list_select_related = ["case", "governorate"]


@admin.register(RollupWeapon)
class RollupWeaponAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Incidents of a monthly rollup by weapon: recounted with it, read here."""

    list_display = ["rollup", "weapon", "incidents"]
    list_filter = ["weapon"]
    search_fields = ["rollup__case__reference"]
    list_select_related = ["rollup", "weapon"]


@admin.register(RollupFacility)
class RollupFacilityAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Incidents of a monthly rollup by facility hit: recounted with it, read here."""

    list_display = ["rollup", "facility", "incidents"]
    list_filter = ["facility"]
    search_fields = ["rollup__case__reference"]
    list_select_related = ["rollup", "facility"]


@admin.register(RollupOccupation)
class RollupOccupationAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Civilians killed in a monthly rollup by occupation: recounted with it, read here."""

    list_display = ["rollup", "occupation", "killed", "adult_women_killed", "girls_killed"]
    list_filter = ["occupation"]
    search_fields = ["rollup__case__reference"]
    list_select_related = ["rollup", "occupation"]


@admin.register(SpreadsheetImport)
class SpreadsheetImportAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """The record of committed spreadsheet imports: read-only, as it says what happened."""

    list_display = ["imported_at", "case", "file_name", "imported_by", "rows", "victims_added"]
    list_filter = ["case"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["case", "imported_by"]


@admin.register(LinkCandidate)
class LinkCandidateAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Pairs of victim records the candidate search found, strongest first: derived, replaced by each search;
    reviewers decide on the linkage page."""

    list_display = ["case", "first", "second", "score", "found_at"]
    list_filter = ["case"]
    search_fields = ["first__name", "second__name"]
    list_select_related = ["case", "first", "second"]


@admin.register(LinkDecision)
class LinkDecisionAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Reviewers' decisions on pairs of victim records: the record of who decided what, never edited here
    (a decision is undone by deciding again on the linkage page)."""

    list_display = ["decided_at", "case", "first", "second", "verdict", "decided_by", "joined_despite_conflict"]
    list_filter = ["case", "verdict"]
    search_fields = ["first__name", "second__name"]
    list_select_related = ["case", "first", "second", "decided_by"]
