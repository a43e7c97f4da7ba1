from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

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
    age_contradicts_band,
)

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncidentForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Incident
        fields = [
            "reference", "title", "description", "start_time", "end_time", "date_precision", "governorate",
            "district", "locality", "latitude", "longitude", "incident_type", "weapons", "facilities_hit",
        ]  # fmt: skip
        widgets = {
            "start_time": DATETIME_INPUT,
            "end_time": DATETIME_INPUT,
            "description": forms.Textarea(attrs={"rows": 4}),
            "weapons": forms.CheckboxSelectMultiple,
            "facilities_hit": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.case = case
        self.fields["version"].initial = self.instance.version
        for name, model in (
            ("governorate", Governorate), ("incident_type", IncidentType), ("weapons", WeaponType),
            ("facilities_hit", FacilityType),
        ):  # fmt: skip
            self.fields[name].queryset = model.objects.available_for(case)


class AttributionForm(forms.ModelForm):
    class Meta:
        model = Attribution
        fields = ["party", "confidence", "basis"]
        widgets = {"basis": forms.Textarea(attrs={"rows": 2})}


class VictimForm(forms.ModelForm):
    class Meta:
        model = Victim
        fields = ["name", "sex", "age", "age_band", "combatant_status", "status", "occupation"]

    def clean(self):
        cleaned = super().clean()
        age, band = cleaned.get("age"), cleaned.get("age_band")
        if age_contradicts_band(age, band):
            self.add_error("age_band", _("Age %(age)s does not fit this age band.") % {"age": age})
        return cleaned


AttributionFormSet = inlineformset_factory(Incident, Attribution, form=AttributionForm, extra=0, can_delete=True)
VictimFormSet = inlineformset_factory(Incident, Victim, form=VictimForm, extra=0, can_delete=True)


def incident_formsets(*, case, data=None, instance=None) -> tuple:
    attributions = AttributionFormSet(data, instance=instance, prefix="attributions")
    victims = VictimFormSet(data, instance=instance, prefix="victims")
    for form in [*attributions.forms, attributions.empty_form]:
        form.fields["party"].queryset = Party.objects.available_for(case)
    for form in [*victims.forms, victims.empty_form]:
        form.fields["occupation"].queryset = Occupation.objects.available_for(case)
    return attributions, victims
