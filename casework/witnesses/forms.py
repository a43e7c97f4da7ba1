from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.web.pickers import RecordPickerField, RecordsPickerField
from casework.witnesses.models import IDENTITY_FIELDS, Consent, ConsentScope, Testimony, TestimonyTranslation, Witness
from casework.witnesses.services import TESTIMONY_FIELDS

LANGUAGE_CHOICES = [("ar", _("Arabic")), ("en", _("English")), ("ku", _("Kurdish")), ("fr", _("French"))]


class WitnessForm(forms.ModelForm):
    """Pseudonymous details. Identity fields are separate: write-only, never shown back in the form."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Witness
        fields = ["pseudonym", "relationship", "risk_level", "reliability", "connection", "notes", *IDENTITY_FIELDS]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            **{name: forms.TextInput(attrs={"autocomplete": "off"}) for name in IDENTITY_FIELDS},
        }

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.case = case
        self.fields["version"].initial = self.instance.version
        for name in IDENTITY_FIELDS:
            self.initial[name] = ""
            if self.instance.pk:
                self.fields[name].help_text = _("Stored encrypted. Leave empty to keep what is recorded.")

    def identity_fields(self):
        return [self[name] for name in IDENTITY_FIELDS]

    def profile_fields(self):
        return [self[name] for name in self.Meta.fields if name not in IDENTITY_FIELDS]

    def _post_clean(self):
        # The service checks and writes; an identity left empty keeps what is stored, so do not validate the
        # form's copy of the record here (it would hold the empty inputs).
        pass

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConsentForm(forms.ModelForm):
    """A consent for one or several scopes at once; each becomes its own record, superseding the older one."""

    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ConsentScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Consent
        fields = ["allows_name", "given_on", "method", "notes"]
        widgets = {
            "given_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    field_order = ["scopes", "allows_name", "given_on", "method", "notes"]

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(
        label=_("Withdrawn on"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class TestimonyForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    # Pickers, not lists: a case may hold tens of thousands of incidents and recordings.
    witness = RecordPickerField(kind="witnesses", label=_("Witness"))
    incidents = RecordsPickerField(kind="incidents", label=_("Incidents"))
    recordings = RecordsPickerField(kind="recordings", label=_("Audio or video recordings"), required=False)

    class Meta:
        model = Testimony
        fields = ["witness", "incidents", "interview_date", "method", "language", "original_text"]
        widgets = {
            "interview_date": forms.DateInput(attrs={"type": "date"}),
            "original_text": forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
        }

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.case = case
        self.fields["version"].initial = self.instance.version
        for name in ("witness", "incidents", "recordings"):
            self.fields[name].limit_to(case)
        if self.instance.pk:
            self.initial["recordings"] = list(self.instance.media_items.values_list("pk", flat=True))

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in TESTIMONY_FIELDS}


def translation_rows(formset) -> list[dict]:
    """The translations the form leaves (rows marked for deletion or left empty dropped)."""
    return [
        {"language": form.cleaned_data["language"], "text": form.cleaned_data["text"]}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


TranslationFormSet = forms.inlineformset_factory(
    Testimony,
    TestimonyTranslation,
    fields=["language", "text"],
    extra=0,
    can_delete=True,
    widgets={
        "language": forms.Select(choices=LANGUAGE_CHOICES),
        "text": forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    },
)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("verify", _("Verify")), ("reject", _("Reject"))])
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why the testimony is rejected."))
        return cleaned
