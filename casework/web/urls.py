from django.urls import path

from casework.incidents.views import incident_list
from casework.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("review/", views.my_review_queue, name="my_review_queue"),
    path("cases/<str:reference>/", incident_list, name="case_detail"),
    path("cases/<str:reference>/review/", views.review_queue, name="review_queue"),
    # Record pickers search here as a person types (casework/web/pickers.py); one name per kind of record.
    *[
        path(f"cases/<str:reference>/pick/{kind}/", views.record_picker, {"kind": kind}, name=f"pick_{kind}")
        for kind in ("incidents", "witnesses", "recordings")
    ],
    path("cases/<str:reference>/review/assign/", views.review_assign, name="review_assign"),
]
