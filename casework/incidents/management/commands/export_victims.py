from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casework.cases.models import Case
from casework.incidents import tabular


class Command(BaseCommand):
    help = "Write a case's incidents and victims as CSV (the shape import_victims reads), to a file or stdout."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="Case reference, e.g. CW-0042")
        parser.add_argument("file", nargs="?", type=Path, help="Output file (default: standard output)")

    def handle(self, *args, reference, file, **options):
        try:
            case = Case.objects.get(reference=reference)
        except Case.DoesNotExist:
            raise CommandError(f"No case with reference {reference!r}.") from None
        if file is None:
            for chunk in tabular.victims_csv_chunks(case):
                self.stdout.write(chunk, ending="")
            return
        with open(file, "w", encoding="utf-8", newline="") as stream:
            tabular.victims_csv_export(case, stream)
