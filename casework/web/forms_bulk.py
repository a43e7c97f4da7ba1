"""The form of a list page's bulk actions: which records, which action, and the incident to link."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.web.pickers import RecordPickerField


class BulkActionForm(forms.Form):
    """`records`: the case's records the list may select; `actions`: the action choices."""

    items = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Selected"), error_messages={"required": _("Select at least one.")}
    )
    action = forms.ChoiceField(label=_("Action"), choices=())
    incident = RecordPickerField(kind="incidents", required=False, label=_("Incident to link"))

    def __init__(self, *args, case, records, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = records
        self.fields["action"].choices = actions
        # Searched as one types (or typed by reference), never a list of every incident of the case.
        self.fields["incident"].limit_to(case)
