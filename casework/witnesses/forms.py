from django import forms
from django.utils.translation import gettext_lazy as _

from casework.evidence.models import MediaItem
from casework.incidents.models import Incident
from casework.witnesses.models import IDENTITY_FIELDS, Consent, Testimony, TestimonyTranslation, Witness

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

    def save(self, commit=True):
        witness = super().save(commit=False)
        if witness.pk:
            # An empty identity input means "unchanged": put back the stored value.
            stored = Witness.objects.get(pk=witness.pk)
            for name in IDENTITY_FIELDS:
                if not self.cleaned_data.get(name):
                    setattr(witness, name, getattr(stored, name))
        if commit:
            witness.save()
        return witness


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["scope", "allows_name", "given_on", "method", "withdrawn_on", "notes"]
        widgets = {
            "given_on": forms.DateInput(attrs={"type": "date"}),
            "withdrawn_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class TestimonyForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    recordings = forms.ModelMultipleChoiceField(
        label=_("Audio or video recordings"),
        queryset=MediaItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Testimony
        fields = ["witness", "incidents", "interview_date", "method", "language", "original_text"]
        widgets = {
            "interview_date": forms.DateInput(attrs={"type": "date"}),
            "incidents": forms.CheckboxSelectMultiple,
            "original_text": forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
        }

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.case = case
        self.fields["version"].initial = self.instance.version
        self.fields["witness"].queryset = Witness.objects.filter(case=case)
        self.fields["incidents"].queryset = Incident.objects.filter(case=case).order_by("reference")
        self.fields["recordings"].queryset = case.media_items.filter(kind__in=["audio", "video"])
        if self.instance.pk:
            self.initial["recordings"] = list(self.instance.media_items.values_list("pk", flat=True))


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
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why the testimony is rejected."))
        return cleaned
