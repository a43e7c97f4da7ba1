from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case, CaseRole


class PersonField(forms.CharField):
    """A person given by their username (as they sign in); the account, or a plain error beside the field."""

    default_error_messages = {"unknown": _("No account has this username. Check the spelling with the person.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def clean(self, value):
        username = super().clean(value)
        if not username:
            return None
        person = get_user_model().objects.filter(username=username).first()
        if person is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return person


class CaseCreateForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"),
        max_length=Case._meta.get_field("reference").max_length,
        help_text=Case._meta.get_field("reference").help_text,
    )
    title = forms.CharField(label=_("Title"), max_length=Case._meta.get_field("title").max_length)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    admin = PersonField(
        label=_("First case admin"),
        required=False,
        help_text=_("Their username. Leave empty to be the case admin yourself."),
    )


class TeamAddForm(forms.Form):
    user = PersonField(label=_("Username"))
    role = forms.ChoiceField(label=_("Role"), choices=CaseRole.choices)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=CaseRole.choices)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class TeamRemoveForm(forms.Form):
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
