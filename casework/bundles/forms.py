from django import forms
from django.utils.translation import gettext_lazy as _

from casework.bundles import profiles
from casework.bundles.models import BundleScope, RedactionProfile
from casework.web.pickers import RecordsPickerField


class BundleRequestForm(forms.Form):
    recipient = forms.CharField(label=_("Recipient"), max_length=300)
    profile = forms.ChoiceField(
        label=_("Redaction profile"),
        choices=RedactionProfile.choices,
        widget=forms.Select(attrs={"aria-describedby": "id_profile_explanations"}),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=BundleScope.choices, widget=forms.RadioSelect)
    incidents = RecordsPickerField(kind="incidents", label=_("Incidents"), required=False)
    purpose = forms.CharField(label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incidents"].limit_to(case)
        # Shown right under the choice by web/_form_fields.html.
        self.fields["profile"].explanations = self.profile_explanations()
        self.fields["profile"].explanations_label = _("What each redaction profile puts in a packet")

    def profile_explanations(self) -> list[tuple[str, str, str]]:
        """(code, label, what the profile puts in a packet) for each profile, for the form to explain them."""
        return [(value, str(label), profiles.explanation(value)) for value, label in RedactionProfile.choices]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == BundleScope.INCIDENTS and not cleaned.get("incidents"):
            self.add_error("incidents", _("Choose at least one incident, or the whole case."))
        return cleaned
