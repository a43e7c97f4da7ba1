from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casework.cases import access
from casework.cases.models import Case
from casework.incidents import tabular


class Command(BaseCommand):
    help = (
        "Check a CSV file of incidents and victims against a case and list every problem (a dry run, the "
        "default); with --commit, write it if it has none. Exits non-zero if the file has problems."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="Case reference, e.g. CW-0042")
        parser.add_argument("file", type=Path)
        parser.add_argument("--commit", action="store_true", help="Write the file (all or nothing)")
        parser.add_argument("--user", help="Username recorded as having created the incidents")
        parser.add_argument(
            "--source",
            default="",
            help="Who reported the victims of this file (e.g. 'Hospital list'), kept on each victim whose source "
            "cell is blank",
        )
        parser.add_argument(
            "--allow-reimport",
            action="store_true",
            help="Import a file already imported into the case again (its victims are then counted twice)",
        )

    def handle(self, *args, reference, file, commit, user, allow_reimport, source, **options):
        try:
            case = Case.objects.get(reference=reference)
        except Case.DoesNotExist:
            raise CommandError(f"No case with reference {reference!r}.") from None
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {user!r}.") from None
            if not actor.has_perm(access.EDIT_RECORDS, case):
                raise CommandError(f"{user} may not edit the records of case {reference}.")
        if not file.is_file():
            raise CommandError(f"{file} does not exist.")

        with open(file, "rb") as stream:
            if commit:
                report = tabular.victims_csv_import(
                    case, stream, actor, file_name=file.name, allow_reimport=allow_reimport, source=source
                )
            else:
                report = tabular.victims_csv_check(case, stream, allow_reimport=allow_reimport)
        for earlier in report.imported_before:
            self.stdout.write(
                f"Imported before: {earlier.imported_at.isoformat(timespec='seconds')} by {earlier.imported_by}"
                f" ({earlier.file_name or 'no file name'}, {earlier.victims_added} victims)."
            )
        for problem in report.problems:
            where = f"row {problem.row}" if problem.row else "file"
            if problem.column and problem.column != tabular.REIMPORT:
                where += f", {problem.column}"
            self.stdout.write(f"{where}: {problem.message}")
        if report.reimport_refused:
            self.stdout.write("To import this file again all the same, run again with --allow-reimport.")
        if not report.is_valid:
            raise CommandError(f"{len(report.problems)} problem(s) in {file}; nothing was written.")
        verb = "created" if report.committed else "would be created"
        self.stdout.write(
            f"{report.rows} rows: {len(report.incidents_created)} incidents {verb}, "
            f"{len(report.incidents_extended)} existing incidents get victims, "
            f"{report.victims_added} victims and {report.attributions_added} attributions "
            f"{'added' if report.committed else 'would be added'}."
        )
        if not commit:
            self.stdout.write("Dry run: nothing was written. Run again with --commit to import.")
