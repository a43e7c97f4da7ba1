"""Every API route. Each record lives under the case it belongs to: /api/cases/<reference>/..."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from casework.bundles.api import BundleViewSet
from casework.captures.api import CaptureViewSet
from casework.cases.api import CaseViewSet
from casework.evidence.api import CustodyEventViewSet, MediaViewSet
from casework.evidence.tus import ResumableUploadDetailView, ResumableUploadListView
from casework.incidents.api import IncidentViewSet, VictimViewSet
from casework.incidents.tabular_api import VictimsImportView
from casework.notifications.api import MediaAssignView, NotificationViewSet, TestimonyAssignView
from casework.search.api import SearchView
from casework.statistics.api_urls import urlpatterns as statistics_urlpatterns
from casework.web.api import ApiDocsView, ApiTokenDetailView, ApiTokenListView
from casework.witnesses.api import ConsentViewSet, TestimonyViewSet, WitnessViewSet

LIST = {"get": "list", "post": "create"}
READ_LIST = {"get": "list"}
DETAIL = {"get": "retrieve", "put": "update", "patch": "partial_update"}
READ = {"get": "retrieve"}
CASE = "cases/<str:reference>"

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Both need a signed-in person (SERVE_PERMISSIONS); the docs page sends a visitor to the sign-in page.
    path("docs/", login_required(ApiDocsView.as_view(url_name="api:schema")), name="docs"),
    path("tokens/", ApiTokenListView.as_view(), name="token_list"),
    path("tokens/<int:token_id>/", ApiTokenDetailView.as_view(), name="token_detail"),
    *statistics_urlpatterns,
    path("notifications/", NotificationViewSet.as_view(READ_LIST), name="notification_list"),
    path("notifications/read/", NotificationViewSet.as_view({"post": "read_all"}), name="notifications_read_all"),
    path(
        "notifications/<int:notification_id>/read/",
        NotificationViewSet.as_view({"post": "read"}),
        name="notification_read",
    ),
    # Anyone signed in lists the cases they are on; superusers and organisation admins open new ones.
    path("cases/", CaseViewSet.as_view(LIST), name="case_list"),
    path(f"{CASE}/", CaseViewSet.as_view(READ), name="case_detail"),
    path(f"{CASE}/search/", SearchView.as_view(), name="search"),
    path(f"{CASE}/incidents/", IncidentViewSet.as_view(LIST), name="incident_list"),
    path(f"{CASE}/incidents/<int:incident_id>/", IncidentViewSet.as_view(DETAIL), name="incident_detail"),
    path(f"{CASE}/victims/", VictimViewSet.as_view(LIST), name="victim_list"),
    path(
        f"{CASE}/victims/<int:victim_id>/",
        VictimViewSet.as_view({**DETAIL, "delete": "destroy"}),
        name="victim_detail",
    ),
    path(
        f"{CASE}/victims/<int:victim_id>/duplicate-of/",
        VictimViewSet.as_view({"post": "mark_duplicate"}),
        name="victim_mark_duplicate",
    ),
    path(f"{CASE}/witnesses/", WitnessViewSet.as_view(LIST), name="witness_list"),
    path(f"{CASE}/witnesses/<int:witness_id>/", WitnessViewSet.as_view(DETAIL), name="witness_detail"),
    path(
        f"{CASE}/witnesses/<int:witness_id>/reveal/",
        WitnessViewSet.as_view({"post": "reveal"}),
        name="witness_reveal",
    ),
    path(f"{CASE}/consents/", ConsentViewSet.as_view(LIST), name="consent_list"),
    path(f"{CASE}/consents/<int:consent_id>/", ConsentViewSet.as_view(READ), name="consent_detail"),
    path(
        f"{CASE}/consents/<int:consent_id>/withdraw/",
        ConsentViewSet.as_view({"post": "withdraw"}),
        name="consent_withdraw",
    ),
    path(
        f"{CASE}/consents/<int:consent_id>/confirm-name/",
        ConsentViewSet.as_view({"post": "confirm_name"}),
        name="consent_confirm_name",
    ),
    path(f"{CASE}/testimonies/", TestimonyViewSet.as_view(LIST), name="testimony_list"),
    path(f"{CASE}/testimonies/<int:testimony_id>/", TestimonyViewSet.as_view(DETAIL), name="testimony_detail"),
    path(
        f"{CASE}/testimonies/<int:testimony_id>/submit/",
        TestimonyViewSet.as_view({"post": "submit"}),
        name="testimony_submit",
    ),
    path(
        f"{CASE}/testimonies/<int:testimony_id>/review/",
        TestimonyViewSet.as_view({"post": "review"}),
        name="testimony_review",
    ),
    path(f"{CASE}/testimonies/<int:testimony_id>/assign/", TestimonyAssignView.as_view(), name="testimony_assign"),
    path(f"{CASE}/media/", MediaViewSet.as_view(LIST), name="media_list"),
    path(
        f"{CASE}/media/<int:item_id>/",
        MediaViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="media_detail",
    ),
    path(
        f"{CASE}/media/<int:item_id>/withdraw/",
        MediaViewSet.as_view({"post": "withdraw"}),
        name="media_withdraw",
    ),
    # Resumable uploads (tus 1.0): one file each, in as many requests as the connection needs.
    path(f"{CASE}/uploads/", ResumableUploadListView.as_view(), name="upload_list"),
    path(f"{CASE}/uploads/<str:upload_id>/", ResumableUploadDetailView.as_view(), name="upload_detail"),
    path(f"{CASE}/media/<int:item_id>/assign/", MediaAssignView.as_view(), name="media_assign"),
    path(f"{CASE}/media/<int:item_id>/original/", MediaViewSet.as_view({"get": "original"}), name="media_original"),
    path(f"{CASE}/custody/", CustodyEventViewSet.as_view(READ_LIST), name="custody_list"),
    path(f"{CASE}/custody/<int:sequence>/", CustodyEventViewSet.as_view(READ), name="custody_detail"),
    path(f"{CASE}/captures/", CaptureViewSet.as_view(LIST), name="capture_list"),
    path(f"{CASE}/captures/<int:capture_id>/", CaptureViewSet.as_view(READ), name="capture_detail"),
    path(f"{CASE}/packets/", BundleViewSet.as_view(LIST), name="bundle_list"),
    path(f"{CASE}/packets/<int:bundle_id>/", BundleViewSet.as_view(READ), name="bundle_detail"),
    path(
        f"{CASE}/packets/<int:bundle_id>/download/",
        BundleViewSet.as_view({"get": "download"}),
        name="bundle_download",
    ),
    path("cases/<str:reference>/import/", VictimsImportView.as_view(), name="victims_import"),
]
