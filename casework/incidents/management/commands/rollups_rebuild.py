from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casework.cases.models import Case
from casework.incidents.repair import rollups_repair


class Command(BaseCommand):
    help = (
        "Recount the tolls of every incident of the named cases (or of all cases) and their monthly rollups "
        "from the victims and incidents, and list each difference fixed. Safe to run again: a second run "
        "finds nothing to fix."
    )

    def add_arguments(self, parser):
        parser.add_argument("references", nargs="*", metavar="REFERENCE", help="Case reference, e.g. CW-0042")
        parser.add_argument("--all", action="store_true", help="Every case")
        parser.add_argument("--dry-run", action="store_true", help="List the differences, change nothing")

    def handle(self, *args, references, all, dry_run, **options):
        if bool(references) == all:
            raise CommandError("Name one or more case references, or --all (not both).")
        case_ids = None
        if references:
            found = dict(Case.objects.filter(reference__in=references).values_list("reference", "pk"))
            unknown = [reference for reference in references if reference not in found]
            if unknown:
                raise CommandError(f"No case with reference {', '.join(map(repr, unknown))}; nothing was changed.")
            case_ids = list(found.values())
        with transaction.atomic():
            repair = rollups_repair(case_ids=case_ids)
            if dry_run:
                transaction.set_rollback(True)
        for line in repair.fixed:
            self.stdout.write(line)
        scope = ", ".join(references) if references else "every case"
        count = len(repair.fixed)
        if not count:
            outcome = "nothing to fix"
        elif dry_run:
            outcome = f"{count} record{'' if count == 1 else 's'} to fix (dry run: nothing changed)"
        else:
            outcome = f"{count} record{'' if count == 1 else 's'} fixed"
        self.stdout.write(
            f"{scope}: {repair.incidents} incidents and {repair.rollups} monthly rollups checked, {outcome}."
        )
