"""The API's own pages: its documentation, and your API tokens (list, create (shown once), revoke)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.web import services
from casework.web.models import ApiToken


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's local files, its initialiser served as a script of its own (the page has no
    inline script or style, as the Content-Security-Policy requires)."""

    template_name = "web/api_docs.html"


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "expiry", "last_used_at"]
        read_only_fields = ["id", "created", "expiry", "last_used_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself. Shown this once; keep it secret.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


def second_factor_verified(request) -> bool:
    """Whether this session entered a code from the person's authenticator app (django-otp's middleware
    marks the session's user)."""
    session_user = request._request.user
    return bool(getattr(session_user, "is_verified", lambda: False)())


class ApiTokenListView(APIView):
    """Your API tokens that have not expired, newest first; POST makes a new one (needs a signed-in session,
    with the second factor if you use one)."""

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request):
        tokens = ApiToken.objects.of_owner(request.user).active()
        return Response(ApiTokenSerializer(tokens, many=True).data)

    @extend_schema(request=ApiTokenSerializer, responses={201: NewApiTokenSerializer})
    def post(self, request):
        if request.auth is not None:
            # A token that could mint tokens would outlive its own expiry and skip the second factor.
            raise PermissionDenied(_("Create API tokens from a signed-in session, not with a token."))
        incoming = ApiTokenSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        created = services.api_token_create(
            owner=request.user,
            name=incoming.validated_data.get("name", ""),
            second_factor_verified=second_factor_verified(request),
            request=request,
        )
        data = {**ApiTokenSerializer(created.token).data, "token": created.text}
        return Response(data, status=status.HTTP_201_CREATED)


class ApiTokenDetailView(APIView):
    """One of your API tokens; DELETE revokes it at once. Other people's tokens do not exist for you (404)."""

    @extend_schema(responses=ApiTokenSerializer)
    def get(self, request, token_id: int):
        return Response(ApiTokenSerializer(self._own_token(request, token_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, token_id: int):
        services.api_token_revoke(token=self._own_token(request, token_id), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _own_token(self, request, token_id: int) -> ApiToken:
        return get_object_or_404(ApiToken.objects.of_owner(request.user).active(), pk=token_id)
