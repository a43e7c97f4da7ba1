from django.urls import path

from casework.audit import views

app_name = "audit"
urlpatterns = [path("cases/<str:reference>/audit/", views.case_audit_log, name="case_audit_log")]
