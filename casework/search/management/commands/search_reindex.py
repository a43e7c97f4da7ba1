from django.core.management.base import BaseCommand

from casework.cases.models import Case
from casework.search import documents
from casework.search.models import RecordKind, SearchEntry
from casework.search.services import search_index_queryset


class Command(BaseCommand):
    help = (
        "Rebuild the case-wide search index from the records (all cases, or one with --case). Safe to run "
        "while people work: each batch is written in its own transaction and a record written meanwhile is "
        "indexed by its own service."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", help="Reference of one case.")

    def handle(self, *args, case=None, **options):
        cases = Case.objects.filter(reference=case) if case else Case.objects.all()
        for one in cases:
            for kind in RecordKind.values:
                model, _ = documents.BUILDERS[kind]
                in_case = {"incident__case": one} if kind == RecordKind.VICTIM else {"case": one}
                records = model.objects.filter(**in_case)
                written = search_index_queryset(kind=kind, queryset=records)
                # Rows of records that no longer exist.
                stale = SearchEntry.objects.filter(case=one, kind=kind).exclude(object_id__in=records.values("pk"))
                stale.delete()
                self.stdout.write(f"{one.reference}: {written} {kind} records indexed")
