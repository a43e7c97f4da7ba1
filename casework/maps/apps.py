from django.apps import AppConfig


class MapsConfig(AppConfig):
    name = "casework.maps"
    verbose_name = "Maps"
