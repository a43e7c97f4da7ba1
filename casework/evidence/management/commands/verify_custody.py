from django.core.management.base import BaseCommand, CommandError

from casework.evidence.custody import custody_chain_breaks, custody_head_hash, media_integrity_problems
from casework.evidence.models import CustodyEvent, MediaItem


class Command(BaseCommand):
    help = "Re-walk the custody chain and re-hash every stored original; exit 1 on any break."

    def handle(self, *args, **options):
        breaks = custody_chain_breaks()
        problems = media_integrity_problems()
        for chain_break in breaks:
            self.stderr.write(f"CHAIN BROKEN: {chain_break}")
        for problem in problems:
            self.stderr.write(f"FILE PROBLEM: {problem}")
        if breaks or problems:
            raise CommandError(
                f"Custody verification FAILED: {len(breaks)} chain break(s), {len(problems)} file problem(s)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Custody verified: {CustodyEvent.objects.count()} events chained, "
                f"{MediaItem.objects.count()} originals match their hashes. Head {custody_head_hash()}."
            )
        )
