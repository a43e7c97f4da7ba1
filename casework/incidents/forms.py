from django import forms
from django.forms import inlineformset_factory

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
from casework.incidents.services import ATTRIBUTION_FIELDS, VICTIM_FIELDS, VictimChange

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


def incident_form_values(form: IncidentForm) -> dict:
    """What the incident form gives the service: its fields as typed (the version travels separately)."""
    return {name: form.cleaned_data[name] for name in IncidentForm.Meta.fields}


# The services' field lists, not the forms' Meta.fields: an inline formset appends its foreign key to those.


def attribution_rows(formset) -> list[dict]:
    """The attributions the form leaves on the incident (rows marked for deletion or left empty dropped)."""
    return [
        {name: form.cleaned_data[name] for name in ATTRIBUTION_FIELDS if name in form.cleaned_data}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def victim_changes(formset) -> list[VictimChange]:
    """The victim rows of the form as changes for the service: new, changed, or deleted."""
    changes = []
    for form in formset.forms:
        if not form.cleaned_data:
            continue
        if form.cleaned_data.get("DELETE"):
            changes.append(VictimChange(victim=form.instance, values={}, delete=True))
        elif form.has_changed() or form.instance.pk is None:
            values = {name: form.cleaned_data[name] for name in VICTIM_FIELDS if name in form.cleaned_data}
            changes.append(VictimChange(victim=form.instance, values=values))
    return changes
