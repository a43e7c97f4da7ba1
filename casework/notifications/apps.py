from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "casework.notifications"
    verbose_name = _("Work and notifications")
