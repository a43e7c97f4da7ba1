from django.urls import path

from casework.evidence import api as evidence_api

app_name = "api"
urlpatterns = [
    path("cases/<str:reference>/media/", evidence_api.CaseMediaView.as_view(), name="case_media"),
    path("media/<int:item_id>/", evidence_api.MediaItemView.as_view(), name="media_item"),
]
