from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casework.cases.services import case_create
from casework.errors import WHOLE_RECORD, Refused


class Command(BaseCommand):
    help = "Open a case with its first case admin (who then builds the team on the case's Team page)."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="Capital letters, digits and hyphens, e.g. CW-0042.")
        parser.add_argument("title")
        parser.add_argument("--description", default="")
        parser.add_argument("--admin", required=True, metavar="USERNAME", help="The first case admin's username.")

    def handle(self, *args, reference, title, description, admin, **options):
        person = get_user_model().objects.filter(username=admin).first()
        if person is None:
            raise CommandError(f"No account has the username {admin!r}.")
        try:
            case = case_create(
                reference=reference,
                title=title,
                description=description,
                admin=person,
                actor=None,
                actor_label="manage.py create_case",
            )
        except Refused as refusal:
            problems = "; ".join(
                " ".join(texts) if field == WHOLE_RECORD else f"{field}: {' '.join(texts)}"
                for field, texts in refusal.errors.items()
            )
            raise CommandError(problems) from None
        self.stdout.write(self.style.SUCCESS(f"Opened case {case.reference} with case admin {person.get_username()}."))
