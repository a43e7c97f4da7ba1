"""API tokens: created by their owner (after the second factor, if they use one), listed, revoked."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from knox.settings import knox_settings

from casework.audit.models import AuditAction
from casework.audit.services import audit_record
from casework.errors import Refused, checked
from casework.web.models import ApiToken
from casework.web.selectors import has_confirmed_device


@dataclass(frozen=True)
class NewApiToken:
    """A token just made: `text` is shown to its owner this once and is stored nowhere."""

    token: ApiToken
    text: str


def api_token_create(
    *, owner: AbstractBaseUser, name: str = "", second_factor_verified: bool, request=None
) -> NewApiToken:
    """Make a token for `owner` that expires after CASEWORK_API_TOKEN_TTL_HOURS.

    A person who uses a second factor must have entered a code in this session (`second_factor_verified`),
    or a stolen password alone would yield a token that never asks for one. A management command run on the
    server passes True: the operator vouches for the person.
    """
    if has_confirmed_device(owner) and not second_factor_verified:
        raise Refused(_("Enter a code from your authenticator app before creating an API token."))
    checked(ApiToken(user=owner, name=name), exclude=["digest", "token_key"])
    with transaction.atomic():
        token, text = ApiToken.objects.create(user=owner, expiry=knox_settings.TOKEN_TTL, name=name)
        audit_record(
            action=AuditAction.API_TOKEN_CREATED,
            actor=owner,
            target=token,
            request=request,
            details={"name": name, "expires": token.expiry.isoformat()},
        )
    return NewApiToken(token=token, text=text)


def api_token_revoke(*, token: ApiToken, actor: AbstractBaseUser, request=None) -> None:
    """Delete `token`: the next request that presents it is refused (401). The caller checked that `actor`
    owns it (or is a superuser)."""
    with transaction.atomic():
        audit_record(
            action=AuditAction.API_TOKEN_REVOKED,
            actor=actor,
            target=token,
            request=request,
            details={"owner": token.user.get_username(), "name": token.name},
        )
        token.delete()
