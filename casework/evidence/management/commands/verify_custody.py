import re

from django.core.management.base import BaseCommand, CommandError

from casework.evidence.custody import (
    custody_chain_breaks,
    custody_events_after,
    custody_head_hash,
    media_integrity_problems,
    media_provenance_findings,
    originals_without_record,
)
from casework.evidence.models import CustodyEvent, MediaItem

HASH = re.compile(r"^[0-9a-f]{64}\Z")


class Command(BaseCommand):
    help = (
        "Re-walk the custody chain, re-hash every stored original, list stored files no item owns, and compare "
        "every item's provenance with what intake recorded; exit 1 on any break. Prints the head hash: keep it, "
        "and pass it to a later run with --expect-head to catch deleted newest events or a rewritten log."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            metavar="HASH",
            help="An event hash recorded earlier (by a packet's manifest or a previous run): it must still be "
            "in the chain.",
        )

    def handle(self, *args, expect_head=None, **options):
        if expect_head is not None:
            expect_head = expect_head.strip().lower()
            if not HASH.match(expect_head):
                raise CommandError("--expect-head takes a SHA-256 event hash: 64 hexadecimal characters.")
        breaks = custody_chain_breaks()
        problems = media_integrity_problems()
        provenance = media_provenance_findings()
        unowned, partial = originals_without_record()
        head_problems = []
        if expect_head is not None:
            following = custody_events_after(expect_head)
            if following is None:
                head_problems.append(
                    f"the expected head {expect_head} is not in the chain: newer events were deleted, or the log "
                    "was rewritten and its hashes recomputed"
                )
            else:
                self.stdout.write(f"The expected head {expect_head} is in the chain; {following} event(s) follow it.")
        head = custody_head_hash()
        self.stdout.write(f"Head of the custody chain: {head} ({CustodyEvent.objects.count()} events).")
        for chain_break in breaks:
            self.stderr.write(f"CHAIN BROKEN: {chain_break}")
        for problem in head_problems:
            self.stderr.write(f"HEAD MISSING: {problem}")
        for problem in problems:
            self.stderr.write(f"FILE PROBLEM: {problem}")
        for problem in provenance.problems:
            self.stderr.write(f"PROVENANCE CHANGED: {problem}")
        for name in unowned:
            self.stderr.write(f"FILE WITHOUT RECORD: {name} is stored, but no media item owns it")
        for name in partial:
            self.stdout.write(f"NOTE: {name} is a temporary file of an intake under way or killed")
        for note in provenance.not_recorded:
            self.stdout.write(f"NOTE: {note}")
        failures = len(breaks) + len(head_problems) + len(problems) + len(provenance.problems) + len(unowned)
        if failures:
            raise CommandError(
                f"Custody verification FAILED: {len(breaks)} chain break(s), {len(head_problems)} missing head, "
                f"{len(problems)} file problem(s), {len(provenance.problems)} provenance change(s), "
                f"{len(unowned)} file(s) without a record."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Custody verified: {CustodyEvent.objects.count()} events chained, "
                f"{MediaItem.objects.count()} originals match their hashes and their provenance. Head {head}."
            )
        )
