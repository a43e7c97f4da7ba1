from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from casework.admin_writes import ReadOnlyAdmin, WritesThroughServices
from casework.cases import access
from casework.cases.admin_scope import CaseScopedAdmin
from casework.errors import Refused
from casework.witnesses import services
from casework.witnesses.models import (
    IDENTITY_FIELDS,
    Consent,
    Testimony,
    TestimonyTranslation,
    Witness,
    WitnessIdentityChange,
)


class ConsentInline(ReadOnlyAdmin, admin.TabularInline):
    model = Consent
    extra = 0
    fields = ["scope", "allows_name", "name_confirmed_at", "given_on", "withdrawn_on", "superseded_on", "method"]
    readonly_fields = fields


@admin.register(Witness)
class WitnessAdmin(CaseScopedAdmin, WritesThroughServices, SimpleHistoryAdmin):
    list_display = ["pseudonym", "case", "relationship", "risk_level", "reliability", "connection"]
    list_filter = ["case", "relationship", "risk_level", "reliability", "connection"]
    # Only the pseudonym is searchable: identities are encrypted and never indexed.
    search_fields = ["pseudonym"]
    # Identities are never shown in admin pages; revealing one is a separate, audited action.
    exclude = list(IDENTITY_FIELDS)
    readonly_fields = ["created_by", "created_at"]
    inlines = [ConsentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*IDENTITY_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "case"] if obj is not None else self.readonly_fields

    def write(self, request, form, formsets, change):
        witness = form.instance
        return services.witness_write(
            case=form.cleaned_data.get("case") or witness.case,
            actor=request.user,
            witness=witness,
            values={name: form.cleaned_data[name] for name in services.WITNESS_FIELDS if name in form.cleaned_data},
            # An admin edit is an edit like any other: a staff form opened before it is refused afterwards.
            expected_version=witness.version if change else None,
            request=request,
        )


@admin.register(WitnessIdentityChange)
class WitnessIdentityChangeAdmin(CaseScopedAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["witness", "fields", "changed_by", "changed_at"]
    # The earlier values stay encrypted and out of every page; revealing them is not an admin action.
    exclude = ["previous_values"]


@admin.register(Consent)
class ConsentAdmin(CaseScopedAdmin, WritesThroughServices, SimpleHistoryAdmin):
    """A consent is recorded once; afterwards only its withdrawal is recorded on it."""

    list_display = ["witness", "scope", "allows_name", "name_confirmed_at", "given_on", "withdrawn_on", "method"]
    list_filter = ["scope", "method", "allows_name", "witness__case"]
    search_fields = ["witness__pseudonym"]
    autocomplete_fields = ["witness"]
    actions = ["confirm_names"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["witness", *services.CONSENT_FIELDS]
        return [*self.get_readonly_fields(request, obj), "withdrawn_on", "withdrawal_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "witness", *services.CONSENT_FIELDS, "name_confirmed_by", "name_confirmed_at", "superseded_on",
            "recorded_by", "recorded_at",
        ]  # fmt: skip

    def write(self, request, form, formsets, change):
        if not change:
            values = {name: form.cleaned_data[name] for name in services.CONSENT_FIELDS}
            return services.consent_record(witness=form.cleaned_data["witness"], values=values, actor=request.user)
        consent = Consent.objects.get(pk=form.instance.pk)
        withdrawn_on = form.cleaned_data.get("withdrawn_on")
        if withdrawn_on is None or consent.withdrawn_on is not None:
            if withdrawn_on != consent.withdrawn_on:
                raise Refused(_("A recorded withdrawal is not changed or removed."), field="withdrawn_on")
            return consent
        return services.consent_withdraw(
            consent=consent,
            withdrawn_on=withdrawn_on,
            reason=form.cleaned_data.get("withdrawal_reason", ""),
            actor=request.user,
        )

    @admin.action(description=_("Confirm that the name may be shared (case admins)"))
    def confirm_names(self, request, queryset):
        for consent in queryset.select_related("witness__case"):
            try:
                services.consent_confirm_name(consent=consent, actor=request.user)
            except Refused as refusal:
                self.message_user(request, f"{consent}: {refusal}", messages.ERROR)
            else:
                self.message_user(request, _("%(c)s: name sharing confirmed.") % {"c": consent}, messages.SUCCESS)


class TestimonyTranslationInline(admin.StackedInline):
    model = TestimonyTranslation
    extra = 0
    fields = ["language", "text"]


@admin.register(Testimony)
class TestimonyAdmin(CaseScopedAdmin, WritesThroughServices, SimpleHistoryAdmin):
    list_display = ["__str__", "case", "witness", "interview_date", "method", "language", "status"]
    list_filter = ["status", "method", "language", "case"]
    search_fields = ["witness__pseudonym", "original_text"]
    autocomplete_fields = ["witness", "incidents"]
    # Review decisions go through the action below, which applies the same rules as the staff pages.
    readonly_fields = [
        "status",
        "created_by",
        "interviewer",
        "created_at",
        "updated_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    ]
    inlines = [TestimonyTranslationInline]
    list_select_related = ["case", "witness"]
    actions = ["verify_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable():
            # What a reviewer verified stays as verified, here too.
            return [*self.readonly_fields, "case", "witness", "incidents", *services.TESTIMONY_FIELDS]
        return [*self.readonly_fields, "case"] if obj is not None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is not None and not obj.is_editable() else self.inlines

    def write(self, request, form, formsets, change):
        testimony = form.instance
        translations = None
        for formset in formsets:
            if formset.model is TestimonyTranslation:
                translations = [
                    {"language": row.cleaned_data["language"], "text": row.cleaned_data["text"]}
                    for row in formset.forms
                    if row.cleaned_data and not row.cleaned_data.get("DELETE")
                ]
        return services.testimony_write(
            case=form.cleaned_data.get("case") or testimony.case,
            actor=request.user,
            testimony=testimony,
            values={name: form.cleaned_data[name] for name in services.TESTIMONY_FIELDS if name in form.cleaned_data},
            expected_version=testimony.version if change else None,
            incidents=form.cleaned_data.get("incidents"),
            translations=translations,
        )

    @admin.action(description=_("Verify the selected submitted testimonies"))
    def verify_selected(self, request, queryset):
        for testimony in queryset:
            if not request.user.has_perm(access.REVIEW, testimony.case):
                self.message_user(
                    request, _("%(t)s: you may not review in this case.") % {"t": testimony}, messages.ERROR
                )
                continue
            try:
                services.testimony_review(
                    testimony=testimony,
                    reviewer=request.user,
                    verified=True,
                    reason="",
                    expected_version=testimony.version,
                )
            except Refused as refusal:
                self.message_user(request, f"{testimony}: {refusal}", messages.ERROR)
            else:
                self.message_user(request, _("%(t)s verified.") % {"t": testimony}, messages.SUCCESS)


@admin.register(TestimonyTranslation)
class TestimonyTranslationAdmin(CaseScopedAdmin, ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read here; translations are edited with their testimony (one write path, one review)."""

    list_display = ["testimony", "language", "translator", "created_at"]
    list_filter = ["language"]
    search_fields = ["text"]
