from django.urls import path

from casework.search import views

app_name = "search"
urlpatterns = [
    path("cases/<str:reference>/search/", views.search, name="search"),
    path("cases/<str:reference>/search/saved/", views.saved_search_create, name="saved_search_create"),
    path(
        "cases/<str:reference>/search/saved/<int:saved_id>/delete/",
        views.saved_search_delete,
        name="saved_search_delete",
    ),
]
