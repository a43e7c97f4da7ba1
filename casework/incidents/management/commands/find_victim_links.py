import time

from django.core.management.base import BaseCommand, CommandError

from casework.cases.models import Case
from casework.incidents.linkage import services as linkage
from casework.incidents.tasks import linkage_find_candidates_task
from casework.queueing import enqueue_now


class Command(BaseCommand):
    help = (
        "Find the victim records of a case that may be one person (candidate pairs for reviewers, strongest first "
        "on the case's linkage page). Replaces the case's earlier candidates; decisions are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="Case reference, e.g. CW-0042")
        parser.add_argument("--queue", action="store_true", help="Send the search to the worker instead of running it")
        parser.add_argument(
            "--window-days", type=int, default=linkage.WINDOW_DAYS, help="Dates of death at most this far apart"
        )

    def handle(self, *args, reference, queue, window_days, **options):
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case with reference {reference!r}.")
        if queue:
            if not enqueue_now(linkage_find_candidates_task, case.pk):
                raise CommandError("The broker did not take the search; run again without --queue.")
            self.stdout.write(f"Search for {reference} sent to the worker.")
            return
        started = time.perf_counter()
        stored = linkage.linkage_find_candidates(case_id=case.pk, window_days=window_days)
        self.stdout.write(f"{stored} candidate pairs stored for {reference} in {time.perf_counter() - started:.1f} s.")
