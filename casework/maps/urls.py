from django.urls import path

from casework.maps import views

app_name = "maps"
urlpatterns = [
    path("cases/<str:reference>/map/", views.case_map, name="case_map"),
    path("cases/<str:reference>/map/points.json", views.case_map_points, name="case_map_points"),
]
