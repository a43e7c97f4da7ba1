from django.urls import path

from casework.incidents.views import incident_list
from casework.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("review/", views.my_review_queue, name="my_review_queue"),
    path("cases/<str:reference>/", incident_list, name="case_detail"),
    path("cases/<str:reference>/review/", views.review_queue, name="review_queue"),
    path("cases/<str:reference>/review/assign/", views.review_assign, name="review_assign"),
]
