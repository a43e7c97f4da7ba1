from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casework.cases import access
from casework.cases.models import Case
from casework.evidence.models import MediaSource
from casework.evidence.services import media_ingest_path
from casework.evidence.uploads import IntakeRejected
from casework.incidents.models import Incident
from casework.witnesses.models import Witness


class Command(BaseCommand):
    help = "Ingest files (or every file in folders) received from activists into a case."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--case", required=True, help="Case reference, e.g. CW-0042")
        parser.add_argument("--incident", action="append", default=[], help="Incident reference (repeatable)")
        parser.add_argument("--source", required=True, choices=MediaSource.values)
        parser.add_argument("--source-url", default="")
        parser.add_argument("--user", required=True, help="Username recorded as having acquired the files")
        parser.add_argument("--witness", metavar="PSEUDONYM", help="The witness of the case who sent the files")

    def handle(self, *args, paths, case, incident, source, source_url, user, witness=None, **options):
        try:
            case_obj = Case.objects.get(reference=case)
        except Case.DoesNotExist:
            raise CommandError(f"No case with reference {case!r}.") from None
        incidents = []
        for reference in incident:
            try:
                incidents.append(Incident.objects.get(case=case_obj, reference=reference))
            except Incident.DoesNotExist:
                raise CommandError(f"No incident {reference!r} in case {case}.") from None
        try:
            acquired_by = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {user!r}.") from None
        # The same rule as the upload page and the API: being on the team is not enough.
        if not acquired_by.has_perm(access.UPLOAD_MEDIA, case_obj):
            raise CommandError(f"{user} may not add media to case {case}: their role there does not allow uploads.")
        sender = None
        if witness is not None:
            sender = Witness.objects.filter(case=case_obj, pseudonym=witness).pseudonymous().first()
            if sender is None:
                raise CommandError(f"No witness {witness!r} in case {case}.")

        files = []
        for path in paths:
            if path.is_dir():
                files += sorted(p for p in path.rglob("*") if p.is_file())
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path} does not exist.")

        stored = duplicates = rejected = 0
        for path in files:
            try:
                result = media_ingest_path(
                    path=path,
                    case=case_obj,
                    source=source,
                    source_url=source_url,
                    acquired_by=acquired_by,
                    incidents=incidents,
                    witness=sender,
                )
            except IntakeRejected as error:
                rejected += 1
                self.stderr.write(f"REJECTED {path}: {error}")
                continue
            if result.created:
                stored += 1
                self.stdout.write(
                    f"stored    {path} -> item {result.item.pk} exhibit {result.item.exhibit_number} "
                    f"sha256 {result.item.sha256}"
                )
            else:
                duplicates += 1
                self.stdout.write(
                    f"duplicate {path} -> existing item {result.item.pk} exhibit {result.item.exhibit_number}"
                )
        self.stdout.write(f"{stored} stored, {duplicates} already present, {rejected} rejected.")
        if rejected:
            raise CommandError(f"{rejected} file(s) were rejected; see above.")
