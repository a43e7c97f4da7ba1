from django.urls import path

from casework.captures import views

app_name = "captures"
urlpatterns = [
    path("cases/<str:reference>/captures/", views.capture_list, name="capture_list"),
    path("cases/<str:reference>/captures/gone/", views.capture_gone, name="capture_gone"),
    path("cases/<str:reference>/captures/<int:capture_id>/", views.capture_detail, name="capture_detail"),
    path(
        "cases/<str:reference>/captures/<int:capture_id>/artefacts/<str:kind>/",
        views.capture_artefact,
        name="capture_artefact",
    ),
    path("cases/<str:reference>/captures/<int:capture_id>/retry/", views.capture_retry, name="capture_retry"),
]
