from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "casework.search"
    verbose_name = "Search"
