from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapturesConfig(AppConfig):
    name = "casework.captures"
    verbose_name = _("Captures of online sources")
