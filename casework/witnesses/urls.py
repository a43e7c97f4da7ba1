from django.urls import path

from casework.witnesses import views

app_name = "witnesses"
urlpatterns = [
    path("cases/<str:reference>/witnesses/", views.witness_list, name="witness_list"),
    path("cases/<str:reference>/witnesses/new/", views.witness_edit, name="witness_create"),
    path("cases/<str:reference>/witnesses/<int:witness_id>/", views.witness_detail, name="witness_detail"),
    path("cases/<str:reference>/witnesses/<int:witness_id>/edit/", views.witness_edit, name="witness_edit"),
    path("cases/<str:reference>/witnesses/<int:witness_id>/identity/", views.witness_reveal, name="witness_reveal"),
    path("cases/<str:reference>/consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path(
        "cases/<str:reference>/consents/<int:consent_id>/confirm-name/",
        views.consent_confirm_name,
        name="consent_confirm_name",
    ),
    path("cases/<str:reference>/testimonies/", views.testimony_list, name="testimony_list"),
    path("cases/<str:reference>/testimonies/bulk/", views.testimony_bulk, name="testimony_bulk"),
    path("cases/<str:reference>/testimonies/new/", views.testimony_edit, name="testimony_create"),
    path("cases/<str:reference>/testimonies/<int:testimony_id>/", views.testimony_detail, name="testimony_detail"),
    path("cases/<str:reference>/testimonies/<int:testimony_id>/edit/", views.testimony_edit, name="testimony_edit"),
    path(
        "cases/<str:reference>/testimonies/<int:testimony_id>/submit/", views.testimony_submit, name="testimony_submit"
    ),
    path(
        "cases/<str:reference>/testimonies/<int:testimony_id>/review/", views.testimony_review, name="testimony_review"
    ),
]
