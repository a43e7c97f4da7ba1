from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "casework.audit"
    verbose_name = _("Security audit")

    def ready(self):
        from casework.audit import signals  # noqa: F401
