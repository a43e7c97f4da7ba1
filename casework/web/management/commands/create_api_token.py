from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casework.errors import Refused
from casework.web import services


class Command(BaseCommand):
    help = (
        "Create a REST API token for a person and print it (once; only its hash is stored). It expires after "
        "CASEWORK_API_TOKEN_TTL_HOURS. People can also create and revoke their own on their account page."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, shown in the person's token list.")

    def handle(self, *args, username: str, name: str, **options):
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username}, is_active=True)
        except user_model.DoesNotExist:
            raise CommandError(f"No active account is named {username!r}.") from None
        try:
            # The operator on the server vouches for the person: no second factor is asked here.
            created = services.api_token_create(owner=user, name=name, second_factor_verified=True)
        except Refused as refusal:
            raise CommandError(refusal.message) from None
        self.stderr.write(
            f"Token for {username}, expires {created.token.expiry:%Y-%m-%d %H:%M %Z} "
            f"({settings.CASEWORK_API_TOKEN_TTL_HOURS} hours). It is not stored; copy it now:"
        )
        self.stdout.write(created.text)
