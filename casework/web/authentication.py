"""REST API sign-in with a token (django-rest-knox), remembering when each token was last used."""

import binascii
from datetime import timedelta
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from casework.web.models import ApiToken

# A busy script would otherwise write the row on every request; a minute is precise enough for a person.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`. An expired or revoked token is refused with 401.

    knox's own check reads the token (ordered, which no one needs here) and then every token of its owner, to
    delete the expired ones, on each request: two queries per request, which a resumable upload in pieces pays
    for every piece. Here the token and its owner come in one query, and the owner's other expired tokens are
    deleted when `last_used_at` is written (at most once a minute per token): they sign nothing in meanwhile,
    as each token's own expiry is checked whenever it is used.
    """

    def authenticate_credentials(self, token: bytes):
        invalid = _("Invalid token.")
        try:
            text = token.decode("utf-8")
            digest = hash_token(text)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(invalid) from None
        candidates = ApiToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")
        for auth_token in candidates.order_by():
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                continue
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(invalid)

    def validate_user(self, auth_token: ApiToken):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            self.delete_expired_tokens_of(user, now=now)
        return user, token

    def delete_expired_tokens_of(self, user, *, now) -> None:
        for expired in ApiToken.objects.filter(user=user, expiry__lt=now).order_by():
            expired.delete()
            token_expired.send(sender=self.__class__, username=user.get_username(), source="other_token")


class ApiTokenScheme(KnoxTokenScheme):
    """Describes the token header in the OpenAPI schema (drf-spectacular knows knox's class, not this one)."""

    target_class = "casework.web.authentication.ApiTokenAuthentication"
    name = "apiToken"
