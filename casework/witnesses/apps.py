from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WitnessesConfig(AppConfig):
    name = "casework.witnesses"
    verbose_name = _("Witnesses and testimonies")
