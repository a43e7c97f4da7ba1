from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from casework.cases import access
from casework.cases.admin_scope import CaseScopedAdmin
from casework.cases.versioning import AdminEditClaimsVersion
from casework.witnesses import services
from casework.witnesses.models import IDENTITY_FIELDS, Consent, Testimony, TestimonyTranslation, Witness


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    readonly_fields = ["recorded_by", "recorded_at"]


@admin.register(Witness)
class WitnessAdmin(CaseScopedAdmin, AdminEditClaimsVersion, SimpleHistoryAdmin):
    list_display = ["pseudonym", "case", "relationship", "risk_level", "reliability", "connection"]
    list_filter = ["case", "relationship", "risk_level", "reliability", "connection"]
    # Only the pseudonym is searchable: identities are encrypted and never indexed.
    search_fields = ["pseudonym"]
    # Identities are never shown in admin pages; revealing one is a separate, audited action.
    exclude = list(IDENTITY_FIELDS)
    readonly_fields = ["created_by", "created_at"]
    inlines = [ConsentInline]


@admin.register(Consent)
class ConsentAdmin(CaseScopedAdmin, SimpleHistoryAdmin):
    list_display = ["witness", "scope", "allows_name", "given_on", "withdrawn_on", "method"]
    list_filter = ["scope", "method", "allows_name", "witness__case"]
    search_fields = ["witness__pseudonym"]
    autocomplete_fields = ["witness"]
    readonly_fields = ["recorded_by", "recorded_at"]


class TestimonyTranslationInline(admin.StackedInline):
    model = TestimonyTranslation
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(Testimony)
class TestimonyAdmin(CaseScopedAdmin, AdminEditClaimsVersion, SimpleHistoryAdmin):
    list_display = ["__str__", "case", "witness", "interview_date", "method", "language", "status"]
    list_filter = ["status", "method", "language", "case"]
    search_fields = ["witness__pseudonym", "original_text"]
    autocomplete_fields = ["witness", "incidents"]
    # Review decisions go through the actions below, which apply the same rules as the staff pages.
    readonly_fields = [
        "status",
        "created_by",
        "created_at",
        "updated_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    ]
    inlines = [TestimonyTranslationInline]
    list_select_related = ["case", "witness"]
    actions = ["verify_selected"]

    @admin.action(description=_("Verify the selected submitted testimonies"))
    def verify_selected(self, request, queryset):
        for testimony in queryset:
            if not request.user.has_perm(access.REVIEW, testimony.case):
                self.message_user(
                    request, _("%(t)s: you may not review in this case.") % {"t": testimony}, messages.ERROR
                )
                continue
            try:
                services.testimony_review(testimony=testimony, reviewer=request.user, verified=True, reason="")
            except services.ReviewRefused as refusal:
                self.message_user(request, f"{testimony}: {refusal}", messages.ERROR)
            else:
                self.message_user(request, _("%(t)s verified.") % {"t": testimony}, messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TestimonyTranslation)
class TestimonyTranslationAdmin(CaseScopedAdmin, SimpleHistoryAdmin):
    list_display = ["testimony", "language", "translator", "created_at"]
    list_filter = ["language"]
    search_fields = ["text"]
    autocomplete_fields = ["testimony"]
