from django.urls import path

from casework.bundles import views

app_name = "bundles"
urlpatterns = [
    path("cases/<str:reference>/packets/", views.bundle_list, name="bundle_list"),
    path("cases/<str:reference>/packets/<int:bundle_id>/download/", views.bundle_download, name="bundle_download"),
    path("cases/<str:reference>/packets/<int:bundle_id>/retry/", views.bundle_retry, name="bundle_retry"),
]
