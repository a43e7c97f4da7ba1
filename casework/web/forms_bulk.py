"""The form of a list page's bulk actions: which records, which action, and the incident to link."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.incidents.models import Incident


class BulkActionForm(forms.Form):
    """`records`: the case's records the list may select; `actions`: the action choices."""

    items = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Selected"), error_messages={"required": _("Select at least one.")}
    )
    action = forms.ChoiceField(label=_("Action"), choices=())
    incident = forms.ModelChoiceField(queryset=None, required=False, label=_("Incident"))

    def __init__(self, *args, case, records, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = records
        self.fields["action"].choices = actions
        self.fields["incident"].queryset = Incident.objects.filter(case=case).only("pk", "reference", "title")
        self.fields["incident"].label_from_instance = lambda incident: f"{incident.reference} — {incident.title}"
