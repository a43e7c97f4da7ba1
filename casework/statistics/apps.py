from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "casework.statistics"
    verbose_name = "Statistics"
