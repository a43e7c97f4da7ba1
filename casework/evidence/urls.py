from django.urls import path

from casework.evidence import views

app_name = "evidence"
urlpatterns = [
    path("cases/<str:reference>/media/", views.media_list, name="media_list"),
    path("cases/<str:reference>/media/bulk/", views.media_bulk, name="media_bulk"),
    path("media/<int:item_id>/", views.media_detail, name="media_detail"),
    path("media/<int:item_id>/state/", views.media_state, name="media_state"),
    path("media/<int:item_id>/original/", views.media_original, name="media_original"),
    path("media/<int:item_id>/thumbnail/", views.media_thumbnail, name="media_thumbnail"),
    path("media/<int:item_id>/keyframes/<int:keyframe>/", views.media_thumbnail, name="media_keyframe"),
    path("media/<int:item_id>/view/", views.media_view_original, name="media_view_original"),
    path("media/<int:item_id>/links/", views.media_links, name="media_links"),
    path("media/<int:item_id>/edit/", views.media_edit, name="media_edit"),
    path("media/<int:item_id>/withdraw/", views.media_withdraw, name="media_withdraw"),
    path("media/<int:item_id>/review/", views.media_review, name="media_review"),
    path("media/<int:item_id>/graphic/", views.media_graphic, name="media_graphic"),
    path(
        "media/<int:item_id>/duplicates/<int:pair_id>/",
        views.near_duplicate_decide,
        name="near_duplicate_decide",
    ),
]
