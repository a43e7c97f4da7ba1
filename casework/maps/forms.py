from django import forms
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case
from casework.evidence.models import VerificationStatus
from casework.incidents.filters import DATE_INPUT
from casework.incidents.models import Governorate


class RecordType:
    INCIDENTS = "incidents"
    MEDIA = "media"


class MapFilterForm(forms.Form):
    """The filters of a case's map, as on the lists: dates and governorate apply to both kinds of record (media
    by when they were filmed, else when they came in, as search dates them; and by the governorate of their
    incidents); the review status applies to media only."""

    record_type = forms.ChoiceField(
        label=_("Records"),
        required=False,
        choices=[
            ("", _("Incidents and media")),
            (RecordType.INCIDENTS, _("Incidents")),
            (RecordType.MEDIA, _("Media")),
        ],
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("Until"), required=False, widget=DATE_INPUT)
    governorate = forms.ModelChoiceField(label=_("Governorate"), queryset=Governorate.objects.none(), required=False)
    verification = forms.ChoiceField(
        label=_("Media review"), required=False, choices=[("", "---------"), *VerificationStatus.choices]
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["governorate"].queryset = Governorate.objects.available_for(case)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end cannot be before the start."))
        return cleaned
