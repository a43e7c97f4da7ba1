"""REST API sign-in with a token (django-rest-knox), remembering when each token was last used."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication

from casework.web.models import ApiToken

# A busy script would otherwise write the row on every request; a minute is precise enough for a person.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`. An expired or revoked token is refused with 401."""

    def validate_user(self, auth_token: ApiToken):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token


class ApiTokenScheme(KnoxTokenScheme):
    """Describes the token header in the OpenAPI schema (drf-spectacular knows knox's class, not this one)."""

    target_class = "casework.web.authentication.ApiTokenAuthentication"
    name = "apiToken"
