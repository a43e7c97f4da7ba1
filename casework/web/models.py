from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken, AuthTokenManager
from knox.settings import CONSTANTS


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        """Tokens that still sign a request in (knox deletes expired ones lazily, so some may linger)."""
        return self.filter(models.Q(expiry__isnull=True) | models.Q(expiry__gt=timezone.now()))

    def of_owner(self, user):
        return self.filter(user=user)


class ApiToken(AbstractAuthToken):
    """A token for the REST API (django-rest-knox's model, swapped in by KNOX_TOKEN_MODEL).

    Only a SHA-512 digest of the token is stored, with its first characters (`token_key`, indexed) to find the
    candidate rows; the token itself is shown once, when it is created. A plain id names the token in lists
    and URLs, so the digest never leaves the database.
    """

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("What the token is for, e.g. “R script on my laptop”.")
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    # knox's manager: `create(user, expiry)` makes a token and returns (row, token text).
    objects = AuthTokenManager.from_queryset(ApiTokenQuerySet)()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name or f'#{self.pk}'} · {self.created:%Y-%m-%d}"
