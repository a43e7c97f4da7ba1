from django import forms
from django.utils.translation import gettext_lazy as _

from casework.evidence.models import VerificationStatus
from casework.incidents.models import Governorate
from casework.search.models import RecordKind
from casework.search.selectors import SearchFilters
from casework.witnesses.models import ReviewStatus

# The query-string names of a search, in the order a saved search stores them.
PARAMETERS = ("q", "kind", "date_from", "date_to", "governorate", "status", "verification", "has_gps")


class SearchForm(forms.Form):
    """A search of one case, read from the query string (page, API and saved searches alike)."""

    q = forms.CharField(
        label=_("Search"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto", "type": "search"}),
    )
    kind = forms.MultipleChoiceField(
        label=_("Record type"), choices=RecordKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    governorate = forms.ModelChoiceField(
        label=_("Governorate"),
        queryset=Governorate.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="—",
    )
    status = forms.ChoiceField(label=_("Testimony status"), choices=[("", "—"), *ReviewStatus.choices], required=False)
    verification = forms.ChoiceField(
        label=_("Media verification"), choices=[("", "—"), *VerificationStatus.choices], required=False
    )
    has_gps = forms.ChoiceField(
        label=_("Location"),
        choices=[("", "—"), ("yes", _("Has GPS coordinates")), ("no", _("No GPS coordinates"))],
        required=False,
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["governorate"].queryset = Governorate.objects.available_for(case).order_by("name")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            q=data.get("q") or "",
            kinds=tuple(data.get("kind") or ()),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            governorate=data.get("governorate"),
            status=data.get("status") or "",
            verification=data.get("verification") or "",
            has_gps={"yes": True, "no": False}.get(data.get("has_gps") or ""),
        )

    def parameters(self) -> dict:
        """The search as plain query-string values (what a saved search stores); only those given."""
        parameters = {}
        for name in PARAMETERS:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name)
            if name != "kind" and isinstance(values, list):
                values = values[-1] if values else ""
            if values:
                parameters[name] = values
        return parameters


class SavedSearchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    shared = forms.BooleanField(label=_("Share with the case team"), required=False, initial=True)
