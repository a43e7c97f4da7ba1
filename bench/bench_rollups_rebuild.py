"""manage.py rollups_rebuild on a big case: wall and CPU time of a dry run and of a real run after some tolls and
rollups were corrupted with SQL, then of a run that finds nothing to fix.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cwbench_scale .venv/bin/python bench/bench_rollups_rebuild.py \
        [--case CW-SCALE-B] [--corrupt 50]

Runs on the database bench_scale.py seeds (run that first, e.g. `--victims 1000000 --media 1000`). The script
only calls the command, so the same file run from a checkout of the former code measures the baseline. Each
run corrupts, behind the services: `--corrupt` incidents' civilians killed (+1), half as many tolls by
occupation deleted, a fifth as many monthly rollups' incident counts (+3) and weapon rows deleted, two rollup
rows deleted, and five victims marked as duplicates of the victim before them (each fix listed by the command).
"""

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api import database_name, setup_django  # noqa: E402


def corrupt(reference: str, count: int) -> None:
    from django.db import transaction
    from django.db.models import F

    from casework.incidents.models import (
        Incident,
        IncidentMonthRollup,
        IncidentOccupationToll,
        RollupWeapon,
        Victim,
    )

    with transaction.atomic():
        incidents = Incident.objects.filter(case__reference=reference).order_by("pk")
        picked = list(incidents.values_list("pk", flat=True)[:: max(1, incidents.count() // count)][:count])
        Incident.objects.filter(pk__in=picked).update(civilians_killed=F("civilians_killed") + 1)
        tolls = IncidentOccupationToll.objects.filter(incident__case__reference=reference).order_by("pk")
        IncidentOccupationToll.objects.filter(pk__in=list(tolls.values_list("pk", flat=True)[: count // 2])).delete()
        rollups = IncidentMonthRollup.objects.filter(case__reference=reference).order_by("pk")
        some = list(rollups.values_list("pk", flat=True)[: max(1, count // 5)])
        IncidentMonthRollup.objects.filter(pk__in=some).update(incidents=F("incidents") + 3)
        weapons = RollupWeapon.objects.filter(rollup__case__reference=reference).order_by("-pk")
        RollupWeapon.objects.filter(pk__in=list(weapons.values_list("pk", flat=True)[: max(1, count // 5)])).delete()
        IncidentMonthRollup.objects.filter(pk__in=list(rollups.reverse().values_list("pk", flat=True)[:2])).delete()
        victims = Victim.objects.filter(incident__case__reference=reference, duplicate_of__isnull=True, duplicates=None)
        marked = 0
        for victim in victims.order_by("pk")[:2000:97]:
            first = victims.filter(incident_id=victim.incident_id, pk__lt=victim.pk).order_by("pk").first()
            if first is not None and marked < 5:
                Victim.objects.filter(pk=victim.pk).update(duplicate_of=first)
                marked += 1


def timed(*arguments: str) -> tuple[float, float, list[str]]:
    from django.core.management import call_command

    out = io.StringIO()
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    call_command("rollups_rebuild", *arguments, stdout=out)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    return time.perf_counter() - wall, cpu_seconds, out.getvalue().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default="CW-SCALE-B")
    parser.add_argument("--corrupt", type=int, default=50, help="incidents whose tolls are corrupted")
    args = parser.parse_args()
    database_name(os.environ.get("DATABASE_URL", ""))
    os.environ["DEBUG"] = "false"  # no query log: the former code runs a query set per incident
    setup_django(Path(tempfile.mkdtemp(prefix="casework-bench-rebuild-")))
    corrupt(args.case, args.corrupt)
    for label, arguments in (
        ("dry run, after corrupting", (args.case, "--dry-run")),
        ("real run", (args.case,)),
        ("second run (nothing to fix)", (args.case,)),
    ):
        wall, cpu, lines = timed(*arguments)
        print(f"{label:<30} {wall:8.2f} s wall  {cpu:7.2f} s CPU (this process)  {lines[-1]}", flush=True)
    print(f"load average (1, 5, 15 min): {', '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
