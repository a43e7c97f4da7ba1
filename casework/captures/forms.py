from django import forms
from django.utils.translation import gettext_lazy as _

from casework.web.pickers import RecordsPickerField


class CaptureRequestForm(forms.Form):
    urls = forms.CharField(
        label=_("Addresses to capture"),
        help_text=_("One or many web addresses (pages or files), one a line."),
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
    )
    incidents = RecordsPickerField(kind="incidents", label=_("Incidents"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incidents"].limit_to(case)
