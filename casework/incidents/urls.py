from django.urls import path

from casework.incidents import views
from casework.incidents.linkage import views as linkage_views

app_name = "incidents"
urlpatterns = [
    path("cases/<str:reference>/incidents/", views.incident_list, name="incident_list"),
    path("cases/<str:reference>/incidents/new/", views.incident_edit, name="incident_create"),
    path("cases/<str:reference>/incidents/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path("cases/<str:reference>/incidents/<int:incident_id>/edit/", views.incident_edit, name="incident_edit"),
    path("cases/<str:reference>/victims/", views.victim_list, name="victim_list"),
    path("cases/<str:reference>/victims/export.csv", views.victims_export, name="victims_export"),
    path("cases/<str:reference>/victims/<int:victim_id>/", views.victim_detail, name="victim_detail"),
    path("cases/<str:reference>/import/", views.victims_import, name="victims_import"),
    path("cases/<str:reference>/linkage/", linkage_views.linkage_review, name="linkage_review"),
    path("cases/<str:reference>/linkage/search/", linkage_views.linkage_search, name="linkage_search"),
    path("cases/<str:reference>/linkage/decide/", linkage_views.linkage_decide, name="linkage_decide"),
]
