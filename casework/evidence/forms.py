from django import forms
from django.utils.translation import gettext_lazy as _

from casework.evidence.models import MediaSource
from casework.web.pickers import RecordPickerField, RecordsPickerField


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (the pattern from Django's file-upload documentation)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_file_clean(item, initial) for item in data]
        return [single_file_clean(data, initial)]


class MediaUploadForm(forms.Form):
    files = MultipleFileField(label=_("Files"), help_text=_("Photos, videos, audio or documents; several at once."))
    source = forms.ChoiceField(label=_("Source"), choices=MediaSource.choices)
    source_url = forms.URLField(label=_("Source URL"), required=False, assume_scheme="https")
    incidents = RecordsPickerField(kind="incidents", label=_("Incidents"), required=False)
    witness = RecordPickerField(
        kind="witnesses",
        label=_("Witness"),
        required=False,
        help_text=_("The witness of this case who sent or recorded the files, if any (shown by pseudonym)."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incidents"].limit_to(case)
        self.fields["witness"].limit_to(case)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == MediaSource.SOCIAL_MEDIA and not cleaned.get("source_url"):
            self.add_error("source_url", _("Give the address of the post for social-media material."))
        return cleaned


class MediaDetailsForm(forms.Form):
    """The details an editor may change on the item page (through services.media_update)."""

    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    witness = RecordPickerField(kind="witnesses", label=_("Witness"), required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witness"].limit_to(case)


class MediaLinkForm(forms.Form):
    """One incident to link to (or unlink from) an item: picked, typed by reference, or sent by id."""

    incident = RecordPickerField(kind="incidents", label=_("Incident to link"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].limit_to(case)


class MediaWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the withdrawal"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the item is withdrawn.")},
    )
