from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from casework.web import account_tokens, two_factor

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("account/api-tokens/", account_tokens.api_token_create, name="api_token_create"),
    path("account/api-tokens/<int:token_id>/revoke/", account_tokens.api_token_revoke, name="api_token_revoke"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("casework.api_urls")),
    path("", include("casework.cases.urls")),
    path("", include("casework.notifications.urls")),
    path("", include("casework.evidence.urls")),
    path("", include("casework.incidents.urls")),
    path("", include("casework.witnesses.urls")),
    path("", include("casework.audit.urls")),
    path("", include("casework.captures.urls")),
    path("", include("casework.bundles.urls")),
    path("", include("casework.statistics.urls")),
    path("", include("casework.search.urls")),
    path("", include("casework.maps.urls")),
    path("", include("casework.web.urls")),
]
