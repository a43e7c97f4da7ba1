from django.urls import path

from casework.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
]
