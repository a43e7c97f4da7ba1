from django.urls import path

from casework.cases import views

app_name = "cases"
urlpatterns = [
    # "new" can never be a case reference (references are in capitals).
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<str:reference>/team/", views.team, name="team"),
    path("cases/<str:reference>/team/add/", views.team_add, name="team_add"),
    path("cases/<str:reference>/team/<int:user_id>/role/", views.team_change_role, name="team_change_role"),
    path("cases/<str:reference>/team/<int:user_id>/remove/", views.team_remove, name="team_remove"),
]
