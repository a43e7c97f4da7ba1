from django.urls import path

from casework.statistics import views

app_name = "statistics"
urlpatterns = [
    path("statistics/", views.overview, name="overview"),
    path("statistics/records/", views.records, name="records"),
    path("statistics/export.csv", views.export, name="export"),
]
