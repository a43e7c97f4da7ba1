"""Statistics API routes, spread into casework/api_urls.py (so their names are api:statistics...)."""

from django.urls import path

from casework.statistics.api import StatisticsRecordsView, StatisticsView

urlpatterns = [
    path("statistics/", StatisticsView.as_view(), name="statistics"),
    path("statistics/records/", StatisticsRecordsView.as_view(), name="statistics_records"),
]
